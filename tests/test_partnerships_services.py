"""Partnership services: lifecycle, rights, entitlements by kind and by company, withdrawal
records for introspection, audit entries and mails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.errors import DomainError, PermissionDenied
from portal.mail.models import OutboxMessage
from portal.partnerships import claims, grants, services, systems
from portal.partnerships.models import EntitlementRevocation, PartnerAuditEntry
from tests.test_partnerships_support import company_with_admin, member_of

AUD = "https://orders.alpha.example/api"


@pytest.fixture
def world(session):
    _, alice, alpha = company_with_admin(session, "Alpha")
    _, bob, beta = company_with_admin(session, "Beta")
    _, carol, gamma = company_with_admin(session, "Gamma")
    return {"alice": alice, "alpha": alpha, "bob": bob, "beta": beta, "carol": carol, "gamma": gamma}


def _actions(session) -> list[str]:
    return list(session.scalars(select(PartnerAuditEntry.action).order_by(PartnerAuditEntry.id)))


def _partners(session, w, kind="reseller"):
    p = services.propose(session, w["alice"], w["beta"].id, kind, "Let us sell together")
    services.answer(session, w["bob"], p.id, accept=True)
    return p


def _orders_system(session, w, *names):
    system = systems.register_system(session, w["alice"], name="Orders", audience=AUD, description="Order API")
    ents = {n: systems.define_entitlement(session, w["alice"], system, name=n) for n in names}
    return system, ents


def test_propose_accept_end_lifecycle_with_mail_and_audit(session, world):
    p = services.propose(session, world["alice"], world["beta"].id, "reseller", "Hello", link="http://x/p")
    assert p.status == "proposed"
    mails = list(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == world["bob"].email)))
    assert mails and "Alpha" in mails[-1].subject and "http://x/p" in mails[-1].body_text
    assert claims.partnership_claims(session, world["alpha"].id) == []
    services.answer(session, world["bob"], p.id, accept=True)
    assert claims.partnership_claims(session, world["alpha"].id) == [
        {"org_id": str(world["beta"].id), "name": "Beta", "kind": "reseller"}]
    assert claims.partnership_claims(session, world["beta"].id)[0]["name"] == "Alpha"
    lists = services.company_partnerships(session, world["beta"].id)
    assert [r.other_name for r in lists.active] == ["Alpha"]
    services.end(session, world["bob"], p.id)
    assert p.status == "ended" and p.ended_by_id == world["bob"].id
    assert claims.partnership_claims(session, world["alpha"].id) == []
    assert _actions(session) == ["partnership.proposed", "partnership.accepted", "partnership.ended"]


def test_decline_and_withdraw(session, world):
    p = services.propose(session, world["alice"], world["beta"].id, "integration")
    services.answer(session, world["bob"], p.id, accept=False)
    assert p.status == "declined"
    with pytest.raises(DomainError):
        services.answer(session, world["bob"], p.id, accept=True)
    q = services.propose(session, world["alice"], world["beta"].id, "integration")
    services.end(session, world["alice"], q.id)
    assert q.status == "ended"
    assert "partnership.withdrawn" in _actions(session)


def test_only_the_right_company_admins_act(session, world):
    _, plain = member_of(session, world["alpha"])
    with pytest.raises(PermissionDenied):
        services.propose(session, plain, world["beta"].id, "reseller")
    p = services.propose(session, world["alice"], world["beta"].id, "reseller")
    with pytest.raises(PermissionDenied):  # the proposer cannot accept its own proposal
        services.answer(session, world["alice"], p.id, accept=True)
    with pytest.raises(PermissionDenied):  # a third company cannot either
        services.answer(session, world["carol"], p.id, accept=True)
    services.answer(session, world["bob"], p.id, accept=True)
    with pytest.raises(PermissionDenied):
        services.end(session, world["carol"], p.id)
    with pytest.raises(PermissionDenied):
        systems.register_system(session, plain, name="X", audience="https://x.example")


def test_bad_proposals_are_refused(session, world):
    for args, field in [((world["alpha"].id, "reseller"), "company"), ((None, "reseller"), "company"),
                        ((world["beta"].id, "enemy"), "kind"), ((999999, "reseller"), "company")]:
        with pytest.raises(DomainError) as info:
            services.propose(session, world["alice"], *args)
        assert info.value.field == field
    services.propose(session, world["alice"], world["beta"].id, "reseller")
    with pytest.raises(DomainError, match="already proposed"):
        services.propose(session, world["alice"], world["beta"].id, "reseller")
    with pytest.raises(DomainError, match="accept it"):
        services.propose(session, world["bob"], world["alpha"].id, "reseller")
    services.propose(session, world["bob"], world["alpha"].id, "supplier")  # another kind is fine
    with pytest.raises(DomainError, match="at most"):
        services.propose(session, world["alice"], world["gamma"].id, "reseller", "x" * 3000)


def test_entitlements_by_kind_and_by_company(session, world):
    system, ents = _orders_system(session, world, "orders:read", "orders:write", "stock.levels:read")
    assert claims.audience_exists(session, AUD) and not claims.audience_exists(session, "https://nope.example")
    # Not partners: nothing, whatever the grants say.
    grants.grant(session, world["alice"], system, ents["orders:read"], kind="reseller")
    assert claims.entitlements_for(session, world["beta"].id, AUD) == []
    _partners(session, world, "reseller")
    assert claims.entitlements_for(session, world["beta"].id, AUD) == ["orders:read"]
    grants.grant(session, world["alice"], system, ents["orders:write"], company_id=world["beta"].id)
    assert claims.entitlements_for(session, world["beta"].id, AUD) == ["orders:read", "orders:write"]
    # Gamma partners as integrator: kind grants for resellers do not reach it.
    p = services.propose(session, world["alice"], world["gamma"].id, "integration")
    services.answer(session, world["carol"], p.id, accept=True)
    assert claims.entitlements_for(session, world["gamma"].id, AUD) == []
    # The owner's own people hold everything of their own system.
    assert claims.entitlements_for(session, world["alpha"].id, AUD) == [
        "orders:read", "orders:write", "stock.levels:read"]
    assert claims.entitlements_for(session, world["beta"].id, "https://unknown.example") == []
    _, _, delta = company_with_admin(session, "Delta")
    with pytest.raises(DomainError, match="not an active partner"):
        grants.grant(session, world["alice"], system, ents["orders:write"], company_id=delta.id)
    assert "grant.added" in _actions(session)


def test_ending_a_partnership_withdraws_and_flags_older_tokens(session, world):
    system, ents = _orders_system(session, world, "orders:read", "orders:write")
    p = _partners(session, world)
    grants.grant(session, world["alice"], system, ents["orders:read"], kind="reseller")
    grants.grant(session, world["alice"], system, ents["orders:write"], company_id=world["beta"].id)
    issued = utcnow() - timedelta(seconds=5)
    held = claims.entitlements_for(session, world["beta"].id, AUD)
    assert claims.entitlements_still_granted(session, world["beta"].id, AUD, held, issued)
    services.end(session, world["alice"], p.id)
    assert claims.entitlements_for(session, world["beta"].id, AUD) == []
    assert not claims.entitlements_still_granted(session, world["beta"].id, AUD, held, issued)
    reasons = set(session.scalars(select(EntitlementRevocation.reason)))
    assert reasons == {"partnership.ended"}
    # Partnering again: the kind grant is back, the one-by-one grant was revoked with the old partnership,
    # and a token from before the end still reads as withdrawn.
    _partners(session, world)
    assert claims.entitlements_for(session, world["beta"].id, AUD) == ["orders:read"]
    assert not claims.entitlements_still_granted(session, world["beta"].id, AUD, ["orders:read"], issued)
    later = utcnow() + timedelta(seconds=1)
    assert claims.entitlements_still_granted(session, world["beta"].id, AUD, ["orders:read"], later)


def test_revoking_a_grant_flags_only_tokens_carrying_it(session, world):
    system, ents = _orders_system(session, world, "orders:read", "orders:write")
    _partners(session, world)
    g = grants.grant(session, world["alice"], system, ents["orders:write"], company_id=world["beta"].id)
    grants.grant(session, world["alice"], system, ents["orders:read"], kind="reseller")
    issued = utcnow() - timedelta(seconds=5)
    assert grants.revoke(session, world["alice"], system, g.id) == 1
    assert claims.entitlements_for(session, world["beta"].id, AUD) == ["orders:read"]
    assert claims.entitlements_still_granted(session, world["beta"].id, AUD, ["orders:read"], issued)
    assert not claims.entitlements_still_granted(session, world["beta"].id, AUD, ["orders:read", "orders:write"],
                                                 issued)
    assert claims.entitlements_still_granted(session, world["beta"].id, AUD, [], issued)
    kind_grant = grants.grants_of(session, system)[0].grant
    assert grants.revoke(session, world["alice"], system, kind_grant.id) == 1
    assert not claims.entitlements_still_granted(session, world["beta"].id, AUD, ["orders:read"], issued)
    assert _actions(session).count("grant.revoked") == 2


def test_removing_an_entitlement_withdraws_it(session, world):
    system, ents = _orders_system(session, world, "orders:read")
    _partners(session, world)
    grants.grant(session, world["alice"], system, ents["orders:read"], kind="reseller")
    issued = utcnow() - timedelta(seconds=5)
    assert systems.remove_entitlement(session, world["alice"], system, ents["orders:read"]) == 2  # Beta and Alpha
    assert claims.entitlements_for(session, world["beta"].id, AUD) == []
    assert not claims.entitlements_still_granted(session, world["alpha"].id, AUD, ["orders:read"], issued)


def test_system_and_entitlement_validation(session, world):
    for bad in ["", "not a url", "ftp://x.example", "https://user@x.example", "https://x.example/?a=1",
                "https://x.example/#f", "javascript:alert(1)", "https://" + "x" * 300, "urn:bad"]:
        with pytest.raises(DomainError) as info:
            systems.register_system(session, world["alice"], name="S", audience=bad)
        assert info.value.field == "audience"
    system = systems.register_system(session, world["alice"], name="S", audience="urn:alpha:orders")
    with pytest.raises(DomainError, match="already uses"):
        systems.register_system(session, world["bob"], name="T", audience="urn:alpha:orders")
    for bad in ["", "Orders:Read", "1orders", "orders:", "orders read", "orders::read", "<b>x</b>"]:
        with pytest.raises(DomainError) as info:
            systems.define_entitlement(session, world["alice"], system, name=bad)
        assert info.value.field == "name"
    systems.define_entitlement(session, world["alice"], system, name="orders:read")
    with pytest.raises(DomainError, match="already has"):
        systems.define_entitlement(session, world["alice"], system, name="orders:read")
    with pytest.raises(PermissionDenied):
        systems.define_entitlement(session, world["bob"], system, name="orders:write")
    systems.update_system(session, world["alice"], system, name="Orders v2", description="New")
    assert _actions(session) == ["system.registered", "entitlement.defined", "system.changed"]


def test_org_claims_and_record_audit(session, world):
    _, plain = member_of(session, world["alpha"], "Dan")
    org = claims.org_claims(session, plain.id)
    assert org["id"] == str(world["alpha"].id) and org["name"] == "Alpha" and "partner_type" in org
    assert claims.org_role(session, plain.id) == "member"
    assert claims.org_role(session, world["alice"].id) == "admin"
    from tests.test_companies_support import make_user
    _, loner = make_user(session)
    assert claims.org_claims(session, loner.id) is None and claims.org_role(session, loner.id) is None
    systems.register_system(session, world["alice"], name="Orders", audience=AUD)
    claims.record_audit(session, actor_person_id=world["bob"].id, action="token.issued", subject="client:abc",
                        details={"audience": AUD, "company_id": world["beta"].id, "at": utcnow()})
    entry = session.scalars(select(PartnerAuditEntry).order_by(PartnerAuditEntry.id.desc())).first()
    assert {entry.company_id, entry.other_company_id} == {world["alpha"].id, world["beta"].id}
    assert isinstance(entry.details["at"], str)


def _accepted_introduction(session, a, b):
    from portal.introductions.models import Introduction

    intro = Introduction(a_id=a.id, b_id=b.id, status="accepted", expires_at=utcnow() + timedelta(days=14),
                         decided_at=utcnow(), a_answer="accepted", b_answer="accepted")
    session.add(intro)
    session.flush()
    return intro


def test_a_partnership_links_to_the_introduction_that_led_to_it(session, world):
    from portal.introductions.company_links import accepted_introductions_of_company

    _, dan = member_of(session, world["alpha"], "Dan")
    intro = _accepted_introduction(session, dan, world["bob"])
    other = _accepted_introduction(session, dan, world["carol"])
    found = accepted_introductions_of_company(session, world["alpha"].id, world["beta"].id)
    assert [(i.id, i.own_person_name, i.other_person_name) for i in found] == [(intro.id, "Dan", "Beta Admin")]
    assert {i.id for i in accepted_introductions_of_company(session, world["alpha"].id)} == {intro.id, other.id}
    with pytest.raises(DomainError) as info:  # an introduction with someone at another company
        services.propose(session, world["alice"], world["beta"].id, "services", introduction_id=other.id)
    assert info.value.field == "introduction"
    p = services.propose(session, world["alice"], world["beta"].id, "services", introduction_id=intro.id)
    assert p.introduction_id == intro.id
    entry = session.scalars(select(PartnerAuditEntry).order_by(PartnerAuditEntry.id.desc())).first()
    assert entry.details["introduction_id"] == intro.id


def test_ending_one_of_two_partnerships_keeps_what_the_other_gives(session, world):
    system, ents = _orders_system(session, world, "orders:read", "catalog:read")
    reseller = _partners(session, world, "reseller")
    _partners(session, world, "integration")
    grants.grant(session, world["alice"], system, ents["orders:read"], kind="reseller")
    grants.grant(session, world["alice"], system, ents["catalog:read"], kind="integration")
    grants.grant(session, world["alice"], system, ents["catalog:read"], company_id=world["beta"].id)
    issued = utcnow() - timedelta(seconds=5)
    services.end(session, world["bob"], reseller.id)
    assert claims.entitlements_for(session, world["beta"].id, AUD) == ["catalog:read"]
    assert claims.entitlements_still_granted(session, world["beta"].id, AUD, ["catalog:read"], issued)
    assert not claims.entitlements_still_granted(session, world["beta"].id, AUD, ["orders:read"], issued)
    assert [r.target for r in grants.grants_of(session, system)].count("Beta") == 1  # still partners
