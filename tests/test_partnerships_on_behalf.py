"""Ecosystem admins act for a company on partnerships (propose, accept, end on its behalf): the
pages take ?for_company=<id>, the audit log and the mails say an ecosystem admin did it; nobody else can."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.errors import PermissionDenied
from portal.mail.models import OutboxMessage
from portal.partnerships import services
from portal.partnerships.models import ACTIVE, ENDED, PartnerAuditEntry, Partnership
from tests.test_companies_support import login, make_user
from tests.test_partnerships_support import company_with_admin


@pytest.fixture
def world(session):
    _, alice, alpha = company_with_admin(session, "Alpha")
    _, bob, beta = company_with_admin(session, "Beta")
    eco_user, eco = make_user(session, name="Eve Ecosystem", role="ecosystem_admin")
    outsider_user, outsider = make_user(session, name="Otto Outsider")
    session.commit()
    return {"alpha": alpha, "beta": beta, "alice": alice, "bob": bob, "eco_user": eco_user, "eco": eco,
            "outsider_user": outsider_user}


def _entries(session, action: str) -> list[PartnerAuditEntry]:
    session.expire_all()
    return list(session.scalars(select(PartnerAuditEntry).where(PartnerAuditEntry.action == action)))


def test_an_ecosystem_admin_proposes_accepts_and_ends_for_the_companies(client, session, world):
    alpha, beta = world["alpha"], world["beta"]
    login(client, world["eco_user"])
    page = client.get(f"/companies/{alpha.slug}").get_data(as_text=True)
    assert f"/partnerships/?for_company={alpha.id}" in page  # the company page leads there
    listing = client.get(f"/partnerships/?for_company={alpha.id}").get_data(as_text=True)
    assert "Partnerships of Alpha" in listing and "as an ecosystem admin" in listing
    form = client.get(f"/partnerships/propose?for_company={alpha.id}").get_data(as_text=True)
    assert "Propose a partnership for Alpha" in form
    response = client.post(f"/partnerships/propose?for_company={alpha.id}",
                           data={"company": beta.id, "kind": "integration", "note": "Brokered at the summit"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/partnerships/?for_company={alpha.id}")
    partnership = session.scalar(select(Partnership).where(Partnership.partner_company_id == beta.id))
    assert partnership.proposer_company_id == alpha.id and partnership.proposed_by_id == world["eco"].id
    [proposed] = _entries(session, "partnership.proposed")
    assert proposed.details["acting_as"] == "ecosystem_admin"
    assert proposed.details["on_behalf_of_company_id"] == alpha.id
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == world["bob"].email))
    assert "Eve Ecosystem, an ecosystem admin, for Alpha proposes" in mail.body_text

    assert client.post(f"/partnerships/{partnership.id}/accept?for_company={beta.id}").status_code == 302
    session.expire_all()
    assert session.get(Partnership, partnership.id).status == ACTIVE
    [accepted] = _entries(session, "partnership.accepted")
    assert accepted.details["on_behalf_of_company_id"] == beta.id
    for company in (alpha, beta):  # both company pages show it
        assert "Integration" in client.get(f"/companies/{company.slug}").get_data(as_text=True)

    assert client.post(f"/partnerships/{partnership.id}/end?for_company={beta.id}").status_code == 302
    session.expire_all()
    assert session.get(Partnership, partnership.id).status == ENDED
    [ended] = _entries(session, "partnership.ended")
    assert ended.details["acting_as"] == "ecosystem_admin" and ended.details["on_behalf_of_company_id"] == beta.id
    audit = client.get(f"/partnerships/audit?company={alpha.id}").get_data(as_text=True)
    assert audit.count('<span class="badge">ecosystem admin</span>') == 3


def test_only_ecosystem_admins_act_for_other_companies(client, session, world):
    alpha, beta = world["alpha"], world["beta"]
    login(client, world["outsider_user"])
    assert client.get(f"/partnerships/?for_company={alpha.id}").status_code == 403
    assert client.post(f"/partnerships/propose?for_company={alpha.id}",
                       data={"company": beta.id, "kind": "reseller"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.propose(session, world["bob"], alpha.id, "reseller", company_id=world["beta"].id + 1000)
    with pytest.raises(PermissionDenied):  # a company admin cannot speak for another company
        services.propose(session, world["bob"], beta.id, "reseller", company_id=alpha.id)
    login(client, world["eco_user"])
    assert client.get("/partnerships/?for_company=999999").status_code == 404


def test_a_company_admin_acting_as_ecosystem_admin_for_their_own_company_is_audited_plainly(session, world):
    partnership = services.propose(session, world["alice"], world["beta"].id, "services",
                                   company_id=world["alpha"].id, as_ecosystem_admin=True)
    [entry] = _entries(session, "partnership.proposed")
    assert partnership.proposer_company_id == world["alpha"].id and "acting_as" not in entry.details
