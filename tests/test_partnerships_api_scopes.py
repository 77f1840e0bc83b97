"""A back-end system's OAuth client with integration API scopes: chosen when the system is
registered or later on its page, audit-logged, and honoured (or refused) by /api/v1."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from portal.auth.provider.clients import client_by_client_id
from portal.errors import DomainError, PermissionDenied
from portal.feeds.services import company_feed
from portal.partnerships import systems
from portal.partnerships.models import BackendSystem, PartnerAuditEntry
from portal.profiles.visibility import Viewer
from tests.test_api_support import API
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_companies_support import login
from tests.test_partnerships_support import company_with_admin, member_of

AUD = "https://orders.alpha.example/api"
PRICE_LIST = {"title": "Price list v3 published", "url": "https://erp.alpha.example/prices/v3",
              "verb": "pricelist.published"}


@pytest.fixture
def world(session):
    alice_user, alice, alpha = company_with_admin(session, "Alpha")
    bob_user, bob, beta = company_with_admin(session, "Beta")
    plain_user, plain = member_of(session, alpha, "Dan Member")
    session.commit()
    return {"alice_user": alice_user, "alice": alice, "alpha": alpha, "bob_user": bob_user, "bob": bob,
            "beta": beta, "plain": plain}


def _entries(session, action: str) -> list[PartnerAuditEntry]:
    return list(session.scalars(select(PartnerAuditEntry).where(PartnerAuditEntry.action == action)
                                .order_by(PartnerAuditEntry.id)))


# --- services -------------------------------------------------------------------------------------

def test_a_new_client_gets_entitlements_and_the_chosen_api_scopes(session, world):
    system = systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    assert systems.client_api_scopes(session, system) is None
    client_id, _secret = systems.create_client(session, world["alice"], system,
                                               scopes=["feeds.write", "api.read", "feeds.write"])
    assert client_by_client_id(session, client_id).scopes == ["entitlements", "api.read", "feeds.write"]
    assert systems.client_api_scopes(session, system) == ["api.read", "feeds.write"]
    assert _entries(session, "system.client_created")[0].details["api_scopes"] == ["api.read", "feeds.write"]
    # A new secret leaves the scopes alone.
    systems.create_client(session, world["alice"], system)
    assert systems.client_api_scopes(session, system) == ["api.read", "feeds.write"]


def test_changing_the_scopes_is_audit_logged_once_per_change(session, world):
    system = systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    with pytest.raises(DomainError, match="client first"):
        systems.set_api_scopes(session, world["alice"], system, ["api.read"])
    client_id, _secret = systems.create_client(session, world["alice"], system, scopes=["api.read"])
    assert systems.set_api_scopes(session, world["alice"], system, ["documents.write", "api.read"]) == [
        "api.read", "documents.write"]
    assert client_by_client_id(session, client_id).scopes == ["entitlements", "api.read", "documents.write"]
    systems.set_api_scopes(session, world["alice"], system, ["api.read", "documents.write"])  # no change
    systems.set_api_scopes(session, world["alice"], system, [])
    assert client_by_client_id(session, client_id).scopes == ["entitlements"]
    changes = [e.details for e in _entries(session, "system.client_scopes_changed")]
    assert [(c["added"], c["removed"]) for c in changes] == [(["documents.write"], []),
                                                            ([], ["api.read", "documents.write"])]
    assert all(c["client_id"] == client_id and c["audience"] == AUD for c in changes)


def test_only_api_scopes_and_only_the_owner_admins(session, world):
    system = systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    for bad in (["openid"], ["entitlements"], ["api.write"]):
        with pytest.raises(DomainError) as refused:
            systems.create_client(session, world["alice"], system, scopes=bad)
        assert refused.value.field == "api_scopes"
    systems.create_client(session, world["alice"], system, scopes=["api.read"])
    for outsider in (world["bob"], world["plain"]):
        with pytest.raises(PermissionDenied):
            systems.set_api_scopes(session, outsider, system, ["feeds.write"])
    assert systems.client_api_scopes(session, system) == ["api.read"]


# --- pages and the API ----------------------------------------------------------------------------

def _token(client, client_id: str, secret: str, **form) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", **form},
                           headers={"Authorization": "Basic " + raw})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _post_activity(client, token: str):
    return client.post("/api/v1/activities", data=json.dumps(PRICE_LIST), content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


def _secret_on(page: str) -> tuple[str, str]:
    """The client_id and secret from the 'shown once' box of a system page."""
    box = page.split("Copy the client secret", 1)[1]
    values = [part.split("</code>", 1)[0] for part in box.split("<code>")[1:3]]
    return values[0], values[1]


def test_registering_with_api_scopes_lets_the_system_post_into_its_company_feed(client, session, world):
    login(client, world["alice_user"])
    response = client.post("/partnerships/systems", data={
        "name": "Alpha ERP", "audience": AUD, "api_scopes": ["feeds.write"]})
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "no-store"
    client_id, secret = _secret_on(response.get_data(as_text=True))
    system = session.scalar(select(BackendSystem).where(BackendSystem.audience == AUD))
    assert system.oauth_client_id == client_id

    issued = _token(client, client_id, secret, resource=API, scope="entitlements feeds.write")
    assert issued["scope"].split() == ["entitlements", "feeds.write"]
    posted = _post_activity(client, issued["access_token"])
    assert posted.status_code == 201, posted.get_data(as_text=True)
    feed = company_feed(session, Viewer(person_id=world["bob"].id, is_member=True), world["alpha"].id)
    assert [a.title for a in feed.items] == ["Price list v3 published"]
    assert feed.items[0].actor_client_id == client_id

    # Reading was not chosen: the same token is refused where api.read is needed.
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert me.status_code == 403 and me.mimetype == "application/problem+json"
    assert 'error="insufficient_scope"' in me.headers["WWW-Authenticate"]
    # A token for the system's own audience is not one for the API.
    own = _token(client, client_id, secret)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {own['access_token']}"}).status_code == 401


def test_registering_without_api_scopes_makes_no_client(client, session, world):
    login(client, world["alice_user"])
    response = client.post("/partnerships/systems", data={"name": "Orders", "audience": AUD})
    assert response.status_code == 302
    assert session.scalar(select(BackendSystem)).oauth_client_id is None
    bad = client.post("/partnerships/systems", data={"name": "Other", "audience": AUD + "2",
                                                     "api_scopes": ["root"]})
    assert bad.status_code == 400 and "is not a valid choice" in bad.get_data(as_text=True)
    assert session.scalar(select(BackendSystem).where(BackendSystem.audience == AUD + "2")) is None


def test_scopes_chosen_on_the_system_page_and_taken_away_again(client, session, world):
    system = systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    session.commit()
    login(client, world["alice_user"])
    url = f"/partnerships/systems/{system.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Create an OAuth client" in page and "feeds.write: Post activities" in page
    created = client.post(f"{url}/client", data={"scopes-api_scopes": ["api.read", "feeds.write"]})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    client_id, secret = _secret_on(created.get_data(as_text=True))
    token = _token(client, client_id, secret, resource=API)["access_token"]
    assert _post_activity(client, token).status_code == 201
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    assert client.post(f"{url}/scopes", data={"scopes-api_scopes": ["api.read"]}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "API scopes saved." in page and "Save API scopes" in page
    # The token issued before keeps its claim, but the API honours only what the client may still ask for.
    refused = _post_activity(client, token)
    assert refused.status_code == 403 and 'scope="feeds.write"' in refused.headers["WWW-Authenticate"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    fresh = _token(client, client_id, secret, resource=API, scope="api.read feeds.write")
    assert fresh["scope"].split() == ["api.read"]

    bad = client.post(f"{url}/scopes", data={"scopes-api_scopes": ["openid"]})
    assert bad.status_code == 400
    session.expire_all()
    assert systems.client_api_scopes(session, system) == ["api.read"]
    log = client.get("/partnerships/audit").get_data(as_text=True)
    assert "<td>System client API scopes changed</td>" in log
    # Replacing the secret keeps the scopes.
    assert client.post(f"{url}/client").status_code == 200
    session.expire_all()
    assert systems.client_api_scopes(session, system) == ["api.read"]


def test_another_company_cannot_change_the_scopes(client, session, world):
    system = systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    systems.create_client(session, world["alice"], system, scopes=["api.read"])
    session.commit()
    login(client, world["bob_user"])
    assert client.post(f"/partnerships/systems/{system.id}/scopes",
                       data={"scopes-api_scopes": ["feeds.write"]}).status_code == 403
    assert systems.client_api_scopes(session, system) == ["api.read"]


def _form_fields(page: str, action: str) -> dict:
    """The hidden inputs of the form that posts to `action`."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    fields = {}
    for tag in form.split("<input")[1:]:
        attributes = dict(part.split("=", 1) for part in tag.split(">", 1)[0].split() if "=" in part)
        if attributes.get("type") == '"hidden"':
            fields[attributes["name"].strip('"')] = attributes["value"].strip('"')
    return fields


def test_the_client_forms_carry_their_csrf_tokens(app, client, session, world):
    system = systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    session.commit()
    login(client, world["alice_user"])
    url = f"/partnerships/systems/{system.id}"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"{url}/client", data={"scopes-api_scopes": ["api.read"]}).status_code == 400
        create = _form_fields(client.get(url).get_data(as_text=True), f"{url}/client")
        created = client.post(f"{url}/client", data={**create, "scopes-api_scopes": ["api.read"]})
        assert created.status_code == 200 and "shown only once" in created.get_data(as_text=True)
        page = client.get(url).get_data(as_text=True)
        saved = client.post(f"{url}/scopes", data={**_form_fields(page, f"{url}/scopes"),
                                                   "scopes-api_scopes": ["api.read", "documents.write"]})
        assert saved.status_code == 302
        replaced = client.post(f"{url}/client", data=_form_fields(page, f"{url}/client"))
        assert replaced.status_code == 200 and "shown only once" in replaced.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    session.expire_all()
    assert systems.client_api_scopes(session, system) == ["api.read", "documents.write"]
