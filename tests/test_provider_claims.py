"""Claims about companies, partnerships and entitlements in tokens, and introspection after a
partnership ends (the partnerships feature decides what is granted; the provider releases it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.partnerships import grants, services, systems
from portal.partnerships.models import PartnerAuditEntry
from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_companies_support import make_company, make_user
from tests.test_provider_support import (
    basic,
    exchange,
    get_code,
    grant_consent,
    log_in,
    new_client,
    verify_with_jwks,
)

AUDIENCE = "https://orders.acme.example"
SCOPES = "openid org partnerships entitlements ecosystem_roles"


def _ecosystem(session):
    """Acme owns an orders system and grants orders:read to its resellers; Beta is a reseller
    partner; Gamma is no partner."""
    _u, acme_admin = make_user(session, name="Ada Acme")
    acme = make_company(session, acme_admin, name="Acme")
    beta_user, beta_admin = make_user(session, name="Bo Beta")
    beta = make_company(session, beta_admin, name="Beta")
    gamma_user, gamma_admin = make_user(session, name="Gil Gamma")
    make_company(session, gamma_admin, name="Gamma")
    session.flush()
    partnership = services.propose(session, acme_admin, beta.id, "reseller")
    services.answer(session, beta_admin, partnership.id, True)
    system = systems.register_system(session, acme_admin, name="Orders", audience=AUDIENCE)
    read = systems.define_entitlement(session, acme_admin, system, name="orders:read")
    grants.grant(session, acme_admin, system, read, kind="reseller")
    system_client_id, system_secret = systems.create_client(session, acme_admin, system)
    session.commit()
    return dict(acme=acme, beta=beta, beta_user=beta_user, gamma_user=gamma_user, acme_admin=acme_admin,
                partnership=partnership, system_client_id=system_client_id, system_secret=system_secret)


def _token_for(client, session, user, rp, secret, nonce):
    grant_consent(session, user, rp, SCOPES.split())
    log_in(client, user)
    code, _ = get_code(client, rp, scope=SCOPES, nonce=nonce, resource=AUDIENCE)
    response = exchange(client, rp, secret, code)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_partner_token_carries_entitlements_and_a_non_partner_gets_none(client, session):
    world = _ecosystem(session)
    rp, secret = new_client(session)
    beta = _token_for(client, session, world["beta_user"], rp, secret, "n-beta")
    access = verify_with_jwks(client, beta["access_token"]).claims
    assert access["aud"] == AUDIENCE and access["entitlements"] == ["orders:read"]
    assert access["org"]["name"] == "Beta" and access["org_role"] == "admin"
    id_claims = verify_with_jwks(client, beta["id_token"]).claims
    assert id_claims["partnerships"] == [{"org_id": str(world["acme"].id), "name": "Acme", "kind": "reseller"}]
    assert set(id_claims["ecosystem_roles"]) == {"member", "company_admin"}
    gamma = _token_for(client, session, world["gamma_user"], rp, secret, "n-gamma")
    assert verify_with_jwks(client, gamma["access_token"]).claims["entitlements"] == []
    audit = session.scalars(select(PartnerAuditEntry).where(PartnerAuditEntry.action == "token.issued")).all()
    assert len(audit) >= 2 and all("access_token" not in str(entry.details) for entry in audit)


def test_ending_the_partnership_makes_earlier_tokens_inactive(client, session):
    world = _ecosystem(session)
    rp, secret = new_client(session)
    beta = _token_for(client, session, world["beta_user"], rp, secret, "n-end")

    class SystemClient:
        client_id = world["system_client_id"]

    def introspect():
        return client.post("/oauth/introspect", headers=basic(SystemClient, world["system_secret"]),
                           data={"token": beta["access_token"]}).get_json()

    before = introspect()
    assert before["active"] is True and before["entitlements"] == ["orders:read"]
    services.end(session, world["acme_admin"], world["partnership"].id)
    session.commit()
    assert introspect() == {"active": False}


def test_the_system_gets_a_client_credentials_token_for_its_company(client, session):
    world = _ecosystem(session)

    class SystemClient:
        client_id = world["system_client_id"]

    response = client.post("/oauth/token", headers=basic(SystemClient, world["system_secret"]),
                           data={"grant_type": "client_credentials"})
    claims = verify_with_jwks(client, response.get_json()["access_token"]).claims
    assert claims["aud"] == AUDIENCE and claims["org"]["name"] == "Acme"
    assert claims["entitlements"] == ["orders:read"]  # the owner holds its own system's entitlements


PORTAL_CLAIMS = {"org", "org_role", "partnerships", "entitlements", "ecosystem_roles"}


@pytest.mark.parametrize(("scope", "released"), [
    ("openid profile email", set()),
    ("openid org", {"org", "org_role"}),
    ("openid partnerships", {"partnerships"}),
    ("openid entitlements", {"entitlements"}),
    ("openid ecosystem_roles", {"ecosystem_roles"}),
])
def test_scopes_decide_which_company_claims_are_released(client, session, scope, released):
    world = _ecosystem(session)
    rp, secret = new_client(session)
    grant_consent(session, world["beta_user"], rp, scope.split())
    log_in(client, world["beta_user"])
    code, _ = get_code(client, rp, scope=scope, nonce="n-scope", resource=AUDIENCE)
    tokens = exchange(client, rp, secret, code).get_json()
    userinfo = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    id_token = verify_with_jwks(client, tokens["id_token"]).claims
    assert PORTAL_CLAIMS & set(id_token) == released
    assert PORTAL_CLAIMS & set(userinfo.get_json()) == released
    # The access token carries what back-ends decide on (org, entitlements, ecosystem roles) by the same scopes.
    access = verify_with_jwks(client, tokens["access_token"]).claims
    assert PORTAL_CLAIMS & set(access) == released - {"partnerships"}
