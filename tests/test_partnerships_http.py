"""Partnership pages over HTTP: company admin flows, rights, bad input, inert names."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.mail.models import OutboxMessage
from portal.partnerships import claims, grants, services, systems
from portal.partnerships.models import BackendSystem, PartnerAuditEntry, Partnership
from tests.test_companies_support import login, make_user
from tests.test_partnerships_support import company_with_admin, member_of

XSS = '<script>alert("x")</script>'
AUD = "https://orders.alpha.example/api"


@pytest.fixture
def world(session):
    alice_user, alice, alpha = company_with_admin(session, "Alpha")
    bob_user, bob, beta = company_with_admin(session, "Beta " + XSS)
    plain_user, plain = member_of(session, alpha, "Dan Member")
    session.commit()
    return {"alice_user": alice_user, "alice": alice, "alpha": alpha, "bob_user": bob_user, "bob": bob,
            "beta": beta, "plain_user": plain_user, "plain": plain}


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_propose_accept_and_both_company_pages_show_it(client, session, world):
    login(client, world["alice_user"])
    form = _page(client, "/partnerships/propose")
    assert "Beta &lt;script&gt;" in form and XSS not in form
    response = client.post("/partnerships/propose", data={"company": world["beta"].id, "kind": "reseller",
                                                          "note": "Sell our " + XSS})
    assert response.status_code == 302
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == world["bob"].email)).all()
    assert mail and "/partnerships/" in mail[-1].body_text
    page = _page(client, "/partnerships/")
    assert "Proposals by Alpha (1)" in page and XSS not in page

    login(client, world["bob_user"])
    page = _page(client, "/partnerships/")
    assert "Proposals to Beta" in page and "Sell our &lt;script&gt;" in page
    partnership = session.scalar(select(Partnership))
    assert client.post(f"/partnerships/{partnership.id}/accept").status_code == 302
    session.expire_all()
    assert session.get(Partnership, partnership.id).status == "active"
    for company in (world["alpha"], world["beta"]):
        page = _page(client, f"/companies/{company.slug}")
        assert "Partnerships (1)" in page and "Reseller" in page and XSS not in page
    assert "Active partnerships (1)" in _page(client, "/partnerships/")

    assert client.post(f"/partnerships/{partnership.id}/end").status_code == 302
    session.expire_all()
    assert session.get(Partnership, partnership.id).status == "ended"
    assert "Partnerships (0)" in _page(client, f"/companies/{world['alpha'].slug}")


def test_non_admins_get_403(client, session, world):
    p = services.propose(session, world["alice"], world["beta"].id, "reseller")
    session.commit()
    login(client, world["plain_user"])
    assert "Proposals by Alpha (1)" in _page(client, "/partnerships/")  # members may look
    for url in ["/partnerships/propose", "/partnerships/systems", "/partnerships/audit"]:
        assert client.get(url).status_code == 403, url
    assert client.post("/partnerships/propose", data={"company": world["beta"].id, "kind": "reseller"}
                       ).status_code == 403
    assert client.post(f"/partnerships/{p.id}/end").status_code == 403
    login(client, world["alice_user"])  # the proposer's admin cannot accept its own proposal
    assert client.post(f"/partnerships/{p.id}/accept").status_code == 403
    assert client.post("/partnerships/999999/accept").status_code == 404
    _, loner = make_user(session)
    session.commit()
    login(client, session.get(type(world["alice_user"]), loner.user_id))
    assert client.get("/partnerships/").status_code == 403
    login(client, None)
    assert client.get("/partnerships/").status_code == 302


@pytest.mark.parametrize("data", [
    {"company": "", "kind": "reseller"},
    {"company": "abc", "kind": "reseller"},
    {"company": "999999", "kind": "reseller"},
    {"company": "SELF", "kind": "reseller"},
    {"company": "BETA", "kind": "enemy"},
    {"company": "BETA", "kind": "reseller", "note": "x" * 3000},
    {"company": "BETA", "kind": "reseller", "introduction": "12345"},
    {"company": "BETA", "kind": "reseller", "introduction": "nope"},
])
def test_bad_proposals_are_form_errors(client, session, world, data):
    data = {k: str({"SELF": world["alpha"].id, "BETA": world["beta"].id}.get(v, v)) for k, v in data.items()}
    login(client, world["alice_user"])
    response = client.post("/partnerships/propose", data=data)
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True) or "form-errors" in response.get_data(as_text=True)
    assert session.scalar(select(Partnership)) is None


def test_systems_entitlements_grants_and_audit_pages(client, session, world):
    p = services.propose(session, world["alice"], world["beta"].id, "reseller")
    services.answer(session, world["bob"], p.id, accept=True)
    session.commit()
    login(client, world["alice_user"])
    bad = client.post("/partnerships/systems", data={"name": "Orders", "audience": "javascript:alert(1)"})
    assert bad.status_code == 400 and "absolute https://" in bad.get_data(as_text=True)
    response = client.post("/partnerships/systems", data={"name": "Orders " + XSS, "audience": AUD})
    assert response.status_code == 302
    system = session.scalar(select(BackendSystem))
    url = f"/partnerships/systems/{system.id}"
    bad = client.post(f"{url}/entitlements", data={"entitlement-name": "Orders Read"})
    assert bad.status_code == 400 and "lower-case" in bad.get_data(as_text=True)
    assert client.post(f"{url}/entitlements", data={"entitlement-name": "orders:read",
                                                    "entitlement-description": "Read orders"}).status_code == 302
    entitlement = systems.entitlements_of(session, system.id)[0]
    for data in ({"grant-entitlement": entitlement.id, "grant-target": "kind:enemy"},
                 {"grant-entitlement": "x", "grant-target": "kind:reseller"},
                 {"grant-entitlement": entitlement.id, "grant-target": f"company:{world['alpha'].id}"}):
        assert client.post(f"{url}/grants", data=data).status_code == 400, data
    assert client.post(f"{url}/grants", data={"grant-entitlement": entitlement.id,
                                              "grant-target": "kind:reseller"}).status_code == 302
    assert claims.entitlements_for(session, world["beta"].id, AUD) == ["orders:read"]
    page = _page(client, url)
    assert "Every active reseller partner" in page and XSS not in page and "Orders &lt;script&gt;" in page
    grant_id = grants.grants_of(session, system)[0].grant.id
    assert client.post(f"{url}/grants/{grant_id}/revoke").status_code == 302
    assert claims.entitlements_for(session, world["beta"].id, AUD) == []

    # Another company's admin cannot touch the system.
    login(client, world["bob_user"])
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/entitlements", data={"entitlement-name": "orders:write"}).status_code == 403
    # Bob's audit log shows the partnership entries, not Alpha's system registration.
    log = _page(client, "/partnerships/audit")
    assert "<td>Partnership accepted</td>" in log and "<td>System registered</td>" not in log
    login(client, world["alice_user"])
    log = _page(client, "/partnerships/audit")
    assert "<td>System registered</td>" in log and "<td>Grant removed</td>" in log and XSS not in log
    assert "<td>Entitlement granted</td>" in _page(client, "/partnerships/audit?action=grant.added&page=abc")


def test_system_client_secret_shown_once(client, session, world):
    system = systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    session.commit()
    login(client, world["alice_user"])
    response = client.post(f"/partnerships/systems/{system.id}/client")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "shown only once" in page
    session.expire_all()
    client_id = session.get(BackendSystem, system.id).oauth_client_id
    assert client_id and client_id in page
    assert "Copy the client secret" not in _page(client, f"/partnerships/systems/{system.id}")
    assert "<td>System OAuth client created</td>" in _page(client, "/partnerships/audit")


def test_ecosystem_admin_reads_every_audit_entry(client, session, world):
    services.propose(session, world["alice"], world["beta"].id, "integration")
    admin_user, _ = make_user(session, role="ecosystem_admin")
    session.commit()
    login(client, admin_user)
    page = _page(client, "/partnerships/audit")
    assert "<td>Partnership proposed</td>" in page
    assert session.scalar(select(PartnerAuditEntry.id)) is not None
    assert "<td>Partnership proposed</td>" in _page(client, f"/partnerships/audit?company={world['beta'].id}")


def test_forms_need_the_csrf_token(app, client, session, world):
    login(client, world["alice_user"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/partnerships/propose", data={"company": world["beta"].id, "kind": "reseller"})
        page = client.get("/partnerships/propose").get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and session.scalar(select(Partnership)) is None
    assert 'name="csrf_token"' in page


def test_propose_form_offers_accepted_introductions(client, session, world):
    from datetime import timedelta

    from portal.db import utcnow
    from portal.introductions.models import Introduction

    intro = Introduction(a_id=world["plain"].id, b_id=world["bob"].id, status="accepted", decided_at=utcnow(),
                         expires_at=utcnow() + timedelta(days=14))
    session.add(intro)
    session.commit()
    login(client, world["alice_user"])
    form = _page(client, f"/partnerships/propose?company={world['beta'].id}")
    assert "Dan Member and Beta &lt;script&gt;" in form and f'selected value="{world["beta"].id}"' in form
    response = client.post("/partnerships/propose", data={"company": world["beta"].id, "kind": "co-sell",
                                                          "introduction": intro.id})
    assert response.status_code == 302
    assert session.scalar(select(Partnership.introduction_id)) == intro.id
    login(client, world["bob_user"])
    assert "from an introduction" in _page(client, "/partnerships/")


def test_audit_log_is_paginated(client, session, world):
    from portal.partnerships.claims import record_audit

    for n in range(60):
        record_audit(session, actor_person_id=world["alice"].id, action="token.issued", subject=f"client:c{n}",
                     details={"company_id": world["alpha"].id})
    session.commit()
    login(client, world["alice_user"])
    first = _page(client, "/partnerships/audit")
    assert "Page 1 of 2" in first and "client:c59" in first and "client:c0<" not in first
    second = _page(client, "/partnerships/audit?page=2")
    assert "client:c0<" in second
