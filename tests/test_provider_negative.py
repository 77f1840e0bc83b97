"""What the provider refuses: code reuse (and the tokens it issued die), redirect tricks, PKCE
mistakes, wrong secrets, unknown clients, prompt=none without a session."""

from __future__ import annotations

import pytest

from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_provider_support import (
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


@pytest.fixture
def flow(client, session):
    user, _ = member(session)
    rp, secret = new_client(session)
    grant_consent(session, user, rp, ["openid", "profile", "email"])
    log_in(client, user)
    return user, rp, secret


def test_code_reuse_is_refused_and_revokes_the_tokens_it_issued(client, flow):
    _user, rp, secret = flow
    code, _ = get_code(client, rp)
    first = exchange(client, rp, secret, code).get_json()
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 200
    second = exchange(client, rp, secret, code)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 401
    refreshed = client.post("/oauth/token", headers=basic(rp, secret),
                            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 400


def test_expired_code_is_refused(client, flow, app):
    _user, rp, secret = flow
    code, _ = get_code(client, rp)
    from datetime import timedelta

    from sqlalchemy import update

    from portal.auth.provider.models import AuthorizationCode
    from portal.db import db, utcnow
    with app.app_context():
        db.session.execute(update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert exchange(client, rp, secret, code).get_json()["error"] == "invalid_grant"


def test_redirect_uri_mismatch_at_the_token_endpoint(client, flow):
    _user, rp, secret = flow
    code, _ = get_code(client, rp)
    response = exchange(client, rp, secret, code, redirect_uri=REDIRECT + "/other")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/cb",
    "https://rp.example.com@evil.example/cb",        # userinfo trick
    "https://rp.example.com.evil.example/cb",        # suffix domain
    "https://rp.example.com/cb/../../evil",          # path traversal
    "https://rp.example.com/cb/..%2F..%2Fevil",
    "https://rp.example.com/cb?next=https://evil.example",
    "https://RP.example.com/cb",                     # no normalisation: exact match only
    "https://rp.example.com/cb/",
    "//evil.example/cb",
])
def test_unregistered_redirect_uris_get_an_error_page_never_a_redirect(client, flow, redirect_uri):
    _user, rp, _secret = flow
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "not one this application registered" in response.get_data(as_text=True)


def test_redirect_smuggled_in_state_is_only_echoed(client, flow):
    _user, rp, _secret = flow
    _code, query = get_code(client, rp, state="https://evil.example/")
    assert query["state"] == "https://evil.example/"


def test_unknown_client_id_gets_an_error_page(client, flow):
    response = client.get("/oauth/authorize", query_string={
        "response_type": "code", "client_id": "nope", "redirect_uri": "https://evil.example/cb", "scope": "openid"})
    assert response.status_code == 400 and "Location" not in response.headers
    assert "unknown client_id" in response.get_data(as_text=True)


def test_openid_request_without_redirect_uri_is_refused(client, flow):
    _user, rp, _ = flow
    params = authorize_params(rp)
    del params["redirect_uri"]
    response = client.get("/oauth/authorize", query_string=params)
    assert response.status_code == 400 and "Location" not in response.headers


def test_missing_pkce_verifier_is_refused(client, flow):
    _user, rp, secret = flow
    _verifier, challenge = pkce_pair()
    code, _ = get_code(client, rp, challenge=challenge)
    response = exchange(client, rp, secret, code)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"


def test_wrong_pkce_verifier_is_refused(client, flow):
    _user, rp, secret = flow
    _verifier, challenge = pkce_pair()
    code, _ = get_code(client, rp, challenge=challenge)
    other, _ = pkce_pair()
    response = exchange(client, rp, secret, code, other)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_plain_pkce_is_refused(client, flow):
    _user, rp, _ = flow
    response = client.get("/oauth/authorize", query_string=authorize_params(
        rp, code_challenge="x" * 43, code_challenge_method="plain"))
    query = query_of(response.headers["Location"])
    assert query["error"] == "invalid_request" and query["state"] == "st-123"


def test_public_client_must_use_pkce(client, session):
    user, _ = member(session)
    rp, secret = new_client(session, public=True)
    assert secret is None
    grant_consent(session, user, rp, ["openid"])
    log_in(client, user)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, scope="openid"))
    assert query_of(response.headers["Location"])["error"] == "invalid_request"
    verifier, challenge = pkce_pair()
    code, _ = get_code(client, rp, scope="openid", challenge=challenge)
    assert exchange(client, rp, None, code).get_json()["error"] == "invalid_request"  # verifier missing
    code, _ = get_code(client, rp, scope="openid", challenge=challenge, nonce="n2")
    ok = exchange(client, rp, None, code, verifier)
    assert ok.status_code == 200 and ok.get_json()["id_token"]


def test_wrong_client_secret_is_refused(client, flow):
    _user, rp, secret = flow
    code, _ = get_code(client, rp)
    response = exchange(client, rp, secret + "x", code)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_confidential_client_cannot_skip_authentication(client, flow):
    _user, rp, _secret = flow
    code, _ = get_code(client, rp)
    response = exchange(client, rp, None, code)  # client_id only, as a public client would
    assert response.status_code in (400, 401) and response.get_json()["error"] == "invalid_client"


def test_prompt_none_without_session_returns_login_required(client, session):
    rp, _ = new_client(session)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, prompt="none"))
    location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    query = query_of(location)
    assert query["error"] == "login_required" and query["state"] == "st-123"


def test_prompt_none_without_consent_returns_consent_required(client, session):
    user, _ = member(session)
    rp, _ = new_client(session)
    log_in(client, user)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, prompt="none"))
    assert query_of(response.headers["Location"])["error"] == "consent_required"


def test_nonce_is_echoed_unchanged_and_a_replayed_nonce_refused(client, flow):
    _user, rp, secret = flow
    code, _ = get_code(client, rp, nonce="abc-123")
    id_token = exchange(client, rp, secret, code).get_json()["id_token"]
    assert verify_with_jwks(client, id_token).claims["nonce"] == "abc-123"
    again = client.get("/oauth/authorize", query_string=authorize_params(rp, nonce="abc-123"))
    assert query_of(again.headers["Location"])["error"] == "invalid_request"
