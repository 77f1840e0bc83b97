"""Discovery, JWKS and the authorization code flow with PKCE, end to end through the test client."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc.errors import JoseError

from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_provider_support import (
    ISSUER,
    REDIRECT,
    authorize_params,
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


def test_discovery_document(client):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == ISSUER + "/oauth/authorize"
    assert doc["jwks_uri"] == ISSUER + "/oauth/jwks"
    assert doc["response_types_supported"] == ["code"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post", "none"}
    for key in ("token_endpoint", "userinfo_endpoint", "end_session_endpoint", "introspection_endpoint",
                "revocation_endpoint", "scopes_supported", "claims_supported", "grant_types_supported",
                "subject_types_supported"):
        assert doc[key], key
    assert "openid" in doc["scopes_supported"] and "entitlements" in doc["claims_supported"]


def test_jwks_publishes_rs256_and_es256_public_keys(client):
    keys = client.get("/oauth/jwks").get_json()["keys"]
    assert {k["alg"] for k in keys} == {"RS256", "ES256"}
    for key in keys:
        assert key["kid"] and key["use"] == "sig"
        assert "d" not in key and "p" not in key  # no private parts


def test_code_flow_with_pkce_gives_a_verifiable_id_token(client, session):
    user, person = member(session)
    rp, secret = new_client(session)
    grant_consent(session, user, rp, ["openid", "profile", "email"])
    log_in(client, user)
    verifier, challenge = pkce_pair()
    code, query = get_code(client, rp, challenge=challenge)
    assert query["state"] == "st-123" and query["iss"] == ISSUER
    response = exchange(client, rp, secret, code, verifier)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    id_token = verify_with_jwks(client, body["id_token"])
    assert id_token.header["kid"]
    claims = id_token.claims
    assert claims["iss"] == ISSUER and rp.client_id in claims["aud"] and claims["sub"] == str(user.id)
    assert claims["nonce"] == "n-456"
    assert claims["name"] == "Nina Kowalski" and claims["given_name"] == "Nina"
    assert claims["email"] == user.email and claims["email_verified"] is True
    assert claims["at_hash"] and claims["auth_time"] <= claims["iat"]
    access = verify_with_jwks(client, body["access_token"])
    assert access.header["typ"] == "at+jwt"
    for name in ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"):
        assert name in access.claims, name


def test_alg_none_token_is_rejected_by_a_pinned_verifier(client, session):
    user, _ = member(session)
    rp, secret = new_client(session)
    grant_consent(session, user, rp, ["openid"])
    log_in(client, user)
    code, _ = get_code(client, rp, scope="openid")
    body = exchange(client, rp, secret, code).get_json()
    _header, payload, _sig = body["id_token"].split(".")
    forged_header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    with pytest.raises(JoseError):  # "none" is not among the pinned algorithms
        verify_with_jwks(client, f"{forged_header}.{payload}.")
    # The userinfo endpoint refuses an access token that was tampered with.
    _h, access_payload, _s = body["access_token"].split(".")
    unsigned = f"{forged_header}.{access_payload}."
    assert client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {unsigned}"}).status_code == 401


def test_consent_screen_is_shown_then_remembered(client, session):
    user, _ = member(session)
    rp, secret = new_client(session)
    log_in(client, user)
    params = authorize_params(rp, scope="openid email")
    page = client.get("/oauth/authorize", query_string=params)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Share with Partner CRM?" in html and "Your email address" in html
    answer = client.post("/oauth/authorize/decision", data={**params, "decision": "allow"})
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]
    # Asked again: remembered, straight back with a code.
    again = client.get("/oauth/authorize", query_string={**params, "nonce": "other"})
    assert again.status_code == 302 and "code=" in again.headers["Location"]
    # More scopes than granted: asked again.
    more = client.get("/oauth/authorize", query_string={**params, "scope": "openid email profile", "nonce": "n3"})
    assert more.status_code == 200


def test_consent_denied_returns_access_denied_with_state(client, session):
    user, _ = member(session)
    rp, _secret = new_client(session)
    log_in(client, user)
    params = authorize_params(rp)
    answer = client.post("/oauth/authorize/decision", data={**params, "decision": "deny"})
    query = query_of(answer.headers["Location"])
    assert answer.headers["Location"].startswith(REDIRECT)
    assert query["error"] == "access_denied" and query["state"] == "st-123" and query["iss"] == ISSUER


def test_not_logged_in_goes_to_login_with_login_hint_and_comes_back(client, session):
    user, _ = member(session, email="hint@example.org")
    rp, _ = new_client(session)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, login_hint="hint@example.org"))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    login_page = client.get(response.headers["Location"])
    assert 'value="hint@example.org"' in login_page.get_data(as_text=True)
