"""The OpenID Foundation's Basic OP (and Config OP) test plan as a checklist: one test per
conformance-suite module, named after it (oidcc-… → test_oidcc_…), run against the test client.
https://openid.net/certification/connect_op_testing/ — the suite itself drives a browser against
a public URL; these tests make the same requests and check the same outcomes."""

from __future__ import annotations

import time

import pytest

from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_provider_support import (
    ISSUER,
    REDIRECT,
    authorize_params,
    basic,
    exchange,
    get_code,
    grant_consent,
    log_in,
    member,
    new_client,
    pkce_pair,
    query_of,
    verify_with_jwks,
)

ALL_SCOPES = ["openid", "profile", "email", "address", "phone"]


class OP:
    """One relying party and one logged-in person who already consented."""

    def __init__(self, client, session):
        self.http = client
        self.user, self.person = member(session)
        self.rp, self.secret = new_client(session)
        grant_consent(session, self.user, self.rp, ALL_SCOPES)
        log_in(client, self.user)
        self._nonce = 0

    def nonce(self) -> str:
        self._nonce += 1
        return f"nonce-{self._nonce}"

    def tokens(self, scope="openid", **params) -> dict:
        params.setdefault("nonce", self.nonce())
        code, query = get_code(self.http, self.rp, scope=scope, **params)
        assert query["iss"] == ISSUER
        response = exchange(self.http, self.rp, self.secret, code)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def id_token(self, scope="openid", **params) -> dict:
        return verify_with_jwks(self.http, self.tokens(scope, **params)["id_token"]).claims

    def userinfo(self, access_token: str) -> dict:
        response = self.http.get("/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"})
        assert response.status_code == 200
        return response.get_json()


@pytest.fixture
def op(client, session):
    return OP(client, session)


# --- Config OP --------------------------------------------------------------------------------

def test_oidcc_discovery_endpoint_verification(client):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == ISSUER  # exactly the issuer that tokens carry
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert doc[endpoint].startswith(ISSUER + "/")
    assert "code" in doc["response_types_supported"] and "public" in doc["subject_types_supported"]
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert "openid" in doc["scopes_supported"]
    assert {"sub", "iss", "aud", "exp", "iat"} <= set(doc["claims_supported"])
    assert client.get("/oauth/jwks").get_json()["keys"]


# --- Basic OP ---------------------------------------------------------------------------------

def test_oidcc_server(op):
    claims = op.id_token()
    assert claims["iss"] == ISSUER and claims["sub"] == str(op.user.id)
    assert claims["aud"] == [op.rp.client_id] and claims["exp"] > time.time() >= claims["iat"] - 5


def test_oidcc_response_type_missing(op):
    params = authorize_params(op.rp)
    del params["response_type"]
    response = op.http.get("/oauth/authorize", query_string=params)
    query = query_of(response.headers["Location"])
    assert query["error"] == "unsupported_response_type" or query["error"] == "invalid_request"


def test_oidcc_idtoken_signature(op):
    token = verify_with_jwks(op.http, op.tokens()["id_token"])
    assert token.header["alg"] == "RS256" and token.header["kid"]
    published = {k["kid"] for k in op.http.get("/oauth/jwks").get_json()["keys"]}
    assert token.header["kid"] in published


def test_oidcc_idtoken_es256_when_the_client_registered_it(client, session):
    user, _ = member(session)
    rp, secret = new_client(session, id_token_signed_response_alg="ES256")
    grant_consent(session, user, rp, ["openid"])
    log_in(client, user)
    code, _ = get_code(client, rp, scope="openid")
    token = verify_with_jwks(client, exchange(client, rp, secret, code).get_json()["id_token"], ["ES256"])
    assert token.header["alg"] == "ES256"


def test_oidcc_userinfo_get(op):
    tokens = op.tokens("openid email")
    assert op.userinfo(tokens["access_token"])["sub"] == str(op.user.id)


def test_oidcc_userinfo_post_header(op):
    tokens = op.tokens("openid email")
    response = op.http.post("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.get_json()["email"] == op.user.email


def test_oidcc_userinfo_post_body(op):
    tokens = op.tokens("openid email")
    response = op.http.post("/oauth/userinfo", data={"access_token": tokens["access_token"]})
    assert response.get_json()["email"] == op.user.email


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(op):
    code, _ = get_code(op.http, op.rp, scope="openid", nonce=None)
    body = exchange(op.http, op.rp, op.secret, code).get_json()
    assert "nonce" not in verify_with_jwks(op.http, body["id_token"]).claims


def test_oidcc_scope_profile(op):
    info = op.userinfo(op.tokens("openid profile")["access_token"])
    assert info["name"] == "Nina Kowalski" and info["given_name"] == "Nina" and info["family_name"] == "Kowalski"
    assert info["preferred_username"] and info["profile"].startswith(ISSUER) and isinstance(info["updated_at"], int)
    assert "email" not in info


def test_oidcc_scope_email(op):
    info = op.userinfo(op.tokens("openid email")["access_token"])
    assert info["email"] == op.user.email and info["email_verified"] is True and "name" not in info


def test_oidcc_scope_address(op):
    info = op.userinfo(op.tokens("openid address")["access_token"])
    assert info["address"] == {"formatted": "Lisbon, Portugal"}


def test_oidcc_scope_phone(op):
    info = op.userinfo(op.tokens("openid phone")["access_token"])
    assert set(info) == {"sub"}  # the portal stores no phone numbers: nothing to release


def test_oidcc_scope_all(op):
    info = op.userinfo(op.tokens(" ".join(ALL_SCOPES))["access_token"])
    assert {"sub", "name", "email", "email_verified", "address"} <= set(info)


def test_oidcc_ensure_other_scope_order_succeeds(op):
    assert op.id_token("email openid")["sub"] == str(op.user.id)


def test_oidcc_display_page(op):
    assert op.id_token(display="page")["sub"]


def test_oidcc_display_popup(op):
    assert op.id_token(display="popup")["sub"]


def test_oidcc_prompt_login(op):
    response = op.http.get("/oauth/authorize", query_string=authorize_params(op.rp, scope="openid", prompt="login"))
    assert "/login" in response.headers["Location"]
    log_in(op.http, op.user)  # the person logs in again
    with op.http.session_transaction() as browser_session:
        browser_session["oidc_login_requested_at"] = int(time.time()) - 1
    claims = op.id_token(prompt="login")
    assert claims["auth_time"] >= int(time.time()) - 5


def test_oidcc_prompt_none_not_logged_in(client, session):
    rp, _ = new_client(session)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, prompt="none"))
    query = query_of(response.headers["Location"])
    assert response.headers["Location"].startswith(REDIRECT)
    assert query["error"] == "login_required" and query["state"] == "st-123" and query["iss"] == ISSUER


def test_oidcc_prompt_none_logged_in(op):
    assert op.id_token(prompt="none")["sub"] == str(op.user.id)


def test_oidcc_max_age_1(op):
    log_in(op.http, op.user, auth_time=int(time.time()) - 30)
    response = op.http.get("/oauth/authorize", query_string=authorize_params(op.rp, scope="openid", max_age="1"))
    assert "/login" in response.headers["Location"]


def test_oidcc_max_age_10000(op):
    log_in(op.http, op.user, auth_time=int(time.time()) - 30)
    claims = op.id_token(max_age="10000")
    assert claims["auth_time"] == int(time.time()) - 30 or abs(claims["auth_time"] - (time.time() - 30)) < 3


def test_oidcc_ensure_request_with_unknown_parameter_succeeds(op):
    assert op.id_token(extra="foobar", unknown_param="1")["sub"]


def test_oidcc_id_token_hint(op):
    first = op.tokens()["id_token"]
    assert op.id_token(prompt="none", id_token_hint=first)["sub"] == str(op.user.id)


def test_oidcc_login_hint(client, session):
    user, _ = member(session, email="hinted@example.org")
    rp, _ = new_client(session)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, login_hint="hinted@example.org"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="hinted@example.org"' in page


def test_oidcc_ui_locales(op):
    assert op.id_token(ui_locales="se")["sub"]


def test_oidcc_claims_locales(op):
    assert op.id_token("openid profile", claims_locales="se")["name"] == "Nina Kowalski"


def test_oidcc_ensure_request_with_acr_values_succeeds(op):
    assert op.id_token(acr_values="1 2")["sub"]


def test_oidcc_codereuse(op):
    code, _ = get_code(op.http, op.rp, scope="openid")
    first = exchange(op.http, op.rp, op.secret, code).get_json()
    assert exchange(op.http, op.rp, op.secret, code).get_json()["error"] == "invalid_grant"
    response = op.http.get("/oauth/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert response.status_code == 401  # the tokens the code issued are revoked


def test_oidcc_codereuse_30seconds(op, app):
    code, _ = get_code(op.http, op.rp, scope="openid")
    assert exchange(op.http, op.rp, op.secret, code).status_code == 200
    from datetime import timedelta

    from sqlalchemy import update

    from portal.auth.provider.models import AuthorizationCode
    from portal.db import db, utcnow
    with app.app_context():  # 30 seconds later: the code was used and has expired meanwhile
        db.session.execute(update(AuthorizationCode).values(used_at=utcnow() - timedelta(seconds=30),
                                                            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert exchange(op.http, op.rp, op.secret, code).get_json()["error"] == "invalid_grant"


def test_oidcc_ensure_registered_redirect_uri(op):
    response = op.http.get("/oauth/authorize", query_string=authorize_params(
        op.rp, redirect_uri="https://rp.example.com/not-registered"))
    assert response.status_code == 400 and "Location" not in response.headers


def test_oidcc_ensure_redirect_uri_in_authorization_request(op):
    params = authorize_params(op.rp)
    del params["redirect_uri"]
    assert op.http.get("/oauth/authorize", query_string=params).status_code == 400


def test_oidcc_registered_redirect_uri_enforced_on_token_post(op):
    code, _ = get_code(op.http, op.rp, scope="openid")
    response = exchange(op.http, op.rp, op.secret, code, redirect_uri="https://rp.example.com/other")
    assert response.get_json()["error"] == "invalid_grant"


def test_oidcc_ensure_post_request_succeeds(op):
    response = op.http.post("/oauth/authorize", data=authorize_params(op.rp, scope="openid", nonce="post-1"))
    code = query_of(response.headers["Location"])["code"]
    assert exchange(op.http, op.rp, op.secret, code).status_code == 200


def test_oidcc_server_client_secret_post(client, session):
    user, _ = member(session)
    rp, secret = new_client(session, auth_method="client_secret_post")
    grant_consent(session, user, rp, ["openid"])
    log_in(client, user)
    code, _ = get_code(client, rp, scope="openid")
    response = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": REDIRECT, "client_id": rp.client_id,
                                                 "client_secret": secret})
    assert response.status_code == 200 and response.get_json()["id_token"]
    # Basic authentication is not what this client registered.
    code, _ = get_code(client, rp, scope="openid", nonce="n2")
    assert exchange(client, rp, secret, code).status_code == 401


def test_oidcc_refresh_token(op):
    tokens = op.tokens("openid email")
    refreshed = op.http.post("/oauth/token", headers=basic(op.rp, op.secret),
                             data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    body = refreshed.get_json()
    assert refreshed.status_code == 200 and body["refresh_token"] != tokens["refresh_token"]
    assert op.userinfo(body["access_token"])["email"] == op.user.email
    # OpenID Connect Core 12.2: a new ID token, same iss/sub/aud/azp/auth_time, new iat, no nonce.
    first = verify_with_jwks(op.http, tokens["id_token"]).claims
    again = verify_with_jwks(op.http, body["id_token"]).claims
    for claim in ("iss", "sub", "aud", "azp", "auth_time", "email"):
        assert again[claim] == first[claim], claim
    assert "nonce" in first and "nonce" not in again and again["iat"] >= first["iat"]


def test_oidcc_refresh_token_without_openid_gives_no_id_token(op):
    tokens = op.tokens("openid email")
    narrowed = op.http.post("/oauth/token", headers=basic(op.rp, op.secret), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "email"})
    assert narrowed.status_code == 200 and "id_token" not in narrowed.get_json()


def test_oidcc_ensure_request_with_valid_pkce_succeeds(op):
    verifier, challenge = pkce_pair()
    code, _ = get_code(op.http, op.rp, scope="openid", challenge=challenge)
    assert exchange(op.http, op.rp, op.secret, code, verifier).status_code == 200
