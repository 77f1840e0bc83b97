"""The client registration pages: who may use them, the secret shown once, bad input."""

from __future__ import annotations

from portal.auth.provider.clients import clients_of_company
from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_companies_support import make_user
from tests.test_provider_support import log_in, member


def test_company_admin_registers_a_client_and_sees_the_secret_once(client, session):
    user, person = member(session)
    log_in(client, user)
    assert client.get("/oauth/clients/new").status_code == 200
    response = client.post("/oauth/clients/new", data={
        "name": "Partner CRM", "client_type": "confidential", "auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"], "redirect_uris": "https://crm.example.com/cb\n",
        "scopes": ["openid", "email"], "id_token_alg": "RS256"})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    [registered] = clients_of_company(session, person.company_id)
    assert registered.client_id in html and "client_secret" in html
    assert registered.client_secret_hash not in html
    listing = client.get("/oauth/clients").get_data(as_text=True)
    assert registered.client_id in listing and "client_secret" not in listing


def test_bad_redirect_address_is_a_form_error(client, session):
    user, _ = member(session)
    log_in(client, user)
    response = client.post("/oauth/clients/new", data={
        "name": "X", "client_type": "confidential", "auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"], "redirect_uris": "http://evil.example/cb", "scopes": ["openid"],
        "id_token_alg": "RS256"})
    assert response.status_code == 200 and "plain http is only allowed" in response.get_data(as_text=True)


def test_members_who_are_not_admins_cannot_register(client, session):
    user, _ = make_user(session)
    session.commit()
    log_in(client, user)
    assert client.get("/oauth/clients").status_code == 403
    assert client.get("/oauth/clients/new").status_code == 403
