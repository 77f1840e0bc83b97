"""Helpers for the integration API tests (no tests of its own): clients, tokens, a small forum."""

from __future__ import annotations

import base64

from portal.auth.provider import tokens
from portal.auth.provider.clients import register_client
from portal.auth.provider.tokens import TokenGrant, TokenSettings
from portal.forums import services as forums
from tests.test_companies_support import make_company, make_user

ISSUER = "http://127.0.0.1:5000"
API = ISSUER + "/api/v1"
ALL_SCOPES = ("api.read", "feeds.write", "documents.write")


def system_client(session, company_id: int | None, *, scopes=ALL_SCOPES, audience: str | None = API,
                  grant_types=("client_credentials",)):
    """A member system's confidential client (client credentials), as /oauth/clients registers it."""
    client, secret = register_client(
        session, name="Acme ERP", owner_company_id=company_id, redirect_uris=["https://rp.example.com/cb"],
        grant_types=list(grant_types), token_endpoint_auth_method="client_secret_basic", scopes=list(scopes),
        audience=audience)
    session.commit()
    return client, secret


def basic(client, secret) -> dict:
    raw = f"{client.client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def client_token(http, client, secret, **form) -> str:
    """An access token from the token endpoint (client credentials grant)."""
    response = http.post("/oauth/token", data={"grant_type": "client_credentials", **form},
                         headers=basic(client, secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def person_token(session, user, client, *, scope: str = "api.read", audience: str | None = API) -> str:
    """A person's access token as the authorization code grant issues it (tokens.issue, the
    provider's own issuing function), without driving the browser flow in every test."""
    settings = TokenSettings(issuer=ISSUER, secret_key="test-secret")
    body, _row = tokens.issue(session, settings, TokenGrant(
        client=client, grant_type="authorization_code", scope=scope, user_id=user.id, audience=audience))
    session.commit()
    return body["access_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def company_with_admin(session, name: str = "Acme Integration", person_name: str = "Nina Kowalski", **fields):
    user, person = make_user(session, name=person_name)
    company = make_company(session, person, name=name, **fields)
    session.commit()
    return user, person, company


def forum(session, author):
    """A public category with a thread of three posts, a members-only one and a private group's."""
    public = forums.create_category(session, "Integrations", visibility="public")
    thread = forums.create_thread(session, public, author.id, "Pricing API for resellers",
                                  "Does anyone publish price lists by API?")
    forums.reply(session, thread, author.id, "We push ours every night.")
    forums.reply(session, thread, author.id, "Version three is out.")
    group = forums.create_group(session, "Board room", author.id)
    secret = forums.create_thread(session, forums.group_category(session, group), author.id,
                                  "Acquisition plans", "Confidential numbers.")
    session.commit()
    return {"public": public, "thread": thread, "group": group, "secret_thread": secret}
