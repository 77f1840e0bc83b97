"""Refresh rotation and reuse detection, client credentials, introspection, revocation,
userinfo three ways, max_age, key rotation, logout."""

from __future__ import annotations

import time

import pytest

from portal.auth.provider.clients import register_client
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
    query_of,
    verify_with_jwks,
)


@pytest.fixture
def tokens(client, session):
    user, person = member(session)
    rp, secret = new_client(session, post_logout_redirect_uris=["https://rp.example.com/bye"])
    grant_consent(session, user, rp, ["openid", "profile", "email", "address", "phone"])
    log_in(client, user)
    code, _ = get_code(client, rp, scope="openid profile email address phone")
    body = exchange(client, rp, secret, code).get_json()
    return user, person, rp, secret, body


def _refresh(client, rp, secret, refresh_token):
    return client.post("/oauth/token", headers=basic(rp, secret),
                       data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def test_refresh_rotates_and_reuse_revokes_the_family(client, tokens):
    _user, _person, rp, secret, body = tokens
    second = _refresh(client, rp, secret, body["refresh_token"])
    assert second.status_code == 200
    second = second.get_json()
    assert second["refresh_token"] != body["refresh_token"]
    third = _refresh(client, rp, secret, second["refresh_token"]).get_json()
    assert third["access_token"]
    # The first refresh token again: a replay. Everything of the family dies.
    replay = _refresh(client, rp, secret, body["refresh_token"])
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert _refresh(client, rp, secret, third["refresh_token"]).status_code == 400
    bearer = {"Authorization": f"Bearer {third['access_token']}"}
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 401


def test_refresh_token_of_another_client_is_refused(client, session, tokens):
    _user, _person, _rp, _secret, body = tokens
    other, other_secret = new_client(session)
    assert _refresh(client, other, other_secret, body["refresh_token"]).status_code == 400


def test_userinfo_by_get_post_header_and_post_body(client, tokens):
    user, _person, _rp, _secret, body = tokens
    token = body["access_token"]
    by_get = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {token}"})
    by_header = client.post("/oauth/userinfo", headers={"Authorization": f"Bearer {token}"})
    by_body = client.post("/oauth/userinfo", data={"access_token": token})
    for response in (by_get, by_header, by_body):
        assert response.status_code == 200
        claims = response.get_json()
        assert claims["sub"] == str(user.id) and claims["email"] == user.email
        assert claims["address"] == {"formatted": "Lisbon, Portugal"}
        assert "phone_number" not in claims  # nothing stored: nothing released
    assert client.get("/oauth/userinfo").status_code == 401
    assert client.get(f"/oauth/userinfo?access_token={token}").status_code == 401  # not in the query string


def test_introspection_and_revocation(client, tokens):
    _user, _person, rp, secret, body = tokens
    info = client.post("/oauth/introspect", headers=basic(rp, secret), data={"token": body["access_token"]})
    payload = info.get_json()
    assert payload["active"] is True and payload["client_id"] == rp.client_id and "openid" in payload["scope"]
    refresh_info = client.post("/oauth/introspect", headers=basic(rp, secret),
                               data={"token": body["refresh_token"], "token_type_hint": "refresh_token"})
    assert refresh_info.get_json()["active"] is True
    # Without client authentication: refused.
    assert client.post("/oauth/introspect", data={"token": body["access_token"]}).status_code == 401
    assert client.post("/oauth/revoke", headers=basic(rp, secret),
                       data={"token": body["access_token"]}).status_code == 200
    after = client.post("/oauth/introspect", headers=basic(rp, secret), data={"token": body["access_token"]})
    assert after.get_json() == {"active": False}
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 401
    # Unknown tokens: 200 (RFC 7009 section 2.2) and inactive.
    assert client.post("/oauth/revoke", headers=basic(rp, secret), data={"token": "nonsense"}).status_code == 200
    assert client.post("/oauth/introspect", headers=basic(rp, secret),
                       data={"token": "nonsense"}).get_json() == {"active": False}


def test_revoking_a_refresh_token_revokes_its_access_tokens(client, tokens):
    _user, _person, rp, secret, body = tokens
    client.post("/oauth/revoke", headers=basic(rp, secret),
                data={"token": body["refresh_token"], "token_type_hint": "refresh_token"})
    assert _refresh(client, rp, secret, body["refresh_token"]).status_code == 400
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 401


def test_client_credentials_token_carries_the_company(client, session):
    _user, person = member(session)
    rp, secret = register_client(session, name="ERP connector", owner_company_id=person.company_id,
                                 redirect_uris=[], grant_types=["client_credentials"],
                                 token_endpoint_auth_method="client_secret_post", scopes=["org", "entitlements"])
    session.commit()
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": rp.client_id,
                                                 "client_secret": secret})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert "refresh_token" not in body and "id_token" not in body
    claims = verify_with_jwks(client, body["access_token"]).claims
    assert claims["sub"] == rp.client_id and claims["client_id"] == rp.client_id
    assert claims["org"]["id"] == str(person.company_id) and claims["org"]["name"] == "Acme Integration"
    # An audience that no back-end system registered is refused (RFC 8707 invalid_target).
    unknown = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": rp.client_id,
                                                "client_secret": secret, "resource": "https://nowhere.example"})
    assert unknown.status_code == 400 and unknown.get_json()["error"] == "invalid_target"
    wrong = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": rp.client_id,
                                              "client_secret": "nope"})
    assert wrong.status_code == 401


def test_max_age_with_an_old_login_forces_a_new_login(client, session):
    user, _ = member(session)
    rp, _secret = new_client(session)
    grant_consent(session, user, rp, ["openid"])
    log_in(client, user, auth_time=int(time.time()) - 60)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, scope="openid", max_age="1"))
    assert "/login" in response.headers["Location"]
    # After logging in again the same request goes through.
    log_in(client, user)
    with client.session_transaction() as browser_session:
        browser_session["oidc_login_requested_at"] = int(time.time()) - 1
    again = client.get("/oauth/authorize", query_string=authorize_params(rp, scope="openid", max_age="1"))
    assert again.headers["Location"].startswith(REDIRECT) and "code=" in again.headers["Location"]


def test_prompt_login_logs_out_and_asks_for_the_password(client, session):
    user, _ = member(session)
    rp, _ = new_client(session)
    grant_consent(session, user, rp, ["openid"])
    log_in(client, user)
    response = client.get("/oauth/authorize", query_string=authorize_params(rp, scope="openid", prompt="login"))
    assert "/login" in response.headers["Location"]
    home = client.get("/oauth/authorize", query_string=authorize_params(rp, scope="openid"))
    assert "/login" in home.headers["Location"]  # the session was ended


def test_key_rotation_keeps_old_tokens_verifiable(client, tokens, runner, app):
    _user, _person, rp, secret, body = tokens
    old_kid = verify_with_jwks(client, body["id_token"]).header["kid"]
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    published = {k["kid"] for k in client.get("/oauth/jwks").get_json()["keys"]}
    assert old_kid in published and len(published) == 4
    assert verify_with_jwks(client, body["id_token"]).claims["sub"]
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/oauth/userinfo", headers=bearer).status_code == 200
    new = _refresh(client, rp, secret, body["refresh_token"]).get_json()
    new_kid = verify_with_jwks(client, new["access_token"]).header["kid"]
    assert new_kid != old_kid and new_kid in published
    listing = runner.invoke(args=["keys", "list"])
    assert old_kid in listing.output and "retired" in listing.output and "active" in listing.output


def test_rp_initiated_logout_with_id_token_hint_redirects_with_state(client, tokens):
    _user, _person, rp, _secret, body = tokens
    response = client.get("/oauth/logout", query_string={
        "id_token_hint": body["id_token"], "post_logout_redirect_uri": "https://rp.example.com/bye",
        "state": "s1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://rp.example.com/bye?state=s1"
    after = client.get("/oauth/authorize", query_string=authorize_params(rp, scope="openid", nonce="fresh"))
    assert "/login" in after.headers["Location"]


def test_logout_to_an_unregistered_address_does_not_redirect(client, tokens):
    _user, _person, _rp, _secret, body = tokens
    response = client.get("/oauth/logout", query_string={
        "id_token_hint": body["id_token"], "post_logout_redirect_uri": "https://evil.example/"})
    assert response.status_code == 200 and "Location" not in response.headers


def test_logout_without_hint_asks_first(client, tokens):
    response = client.get("/oauth/logout", query_string={"post_logout_redirect_uri": "https://rp.example.com/bye"})
    assert response.status_code == 200 and "Log out of the portal?" in response.get_data(as_text=True)


def test_authorize_by_post(client, session):
    user, _ = member(session)
    rp, secret = new_client(session)
    grant_consent(session, user, rp, ["openid"])
    log_in(client, user)
    response = client.post("/oauth/authorize", data=authorize_params(rp, scope="openid"))
    query = query_of(response.headers["Location"])
    assert exchange(client, rp, secret, query["code"]).status_code == 200


def test_id_token_hint_for_someone_else_with_prompt_none_is_login_required(client, session, tokens):
    _user, _person, rp, _secret, body = tokens
    other, _ = member(session, email="other@example.org", company=False)
    grant_consent(session, other, rp, ["openid"])
    log_in(client, other)
    response = client.get("/oauth/authorize", query_string=authorize_params(
        rp, scope="openid", prompt="none", id_token_hint=body["id_token"], nonce="hint-1"))
    assert query_of(response.headers["Location"])["error"] == "login_required"


def test_protocol_endpoints_stay_open_on_a_members_only_portal(client, session):
    from portal.admin.services import set_members_only

    set_members_only(session, True)
    session.commit()
    assert client.get("/.well-known/openid-configuration").status_code == 200
    assert client.get("/oauth/jwks").status_code == 200
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert token.get_json()["error"] == "invalid_client"  # the token endpoint answered, not the gate
    assert client.get("/oauth/clients").status_code == 302  # pages still need a login
