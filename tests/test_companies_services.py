"""Company services without HTTP: create/edit, domains, invitations, membership, verification."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.companies import membership
from portal.companies.editing import CompanyFields, fields_of, set_verified, update_company
from portal.companies.models import Company, CompanyInvitation
from portal.companies.services import company_domains, company_for_email, company_tags
from portal.errors import DomainError
from portal.mail.models import OutboxMessage
from portal.profiles.services import create_person
from tests.test_companies_support import make_company, make_user

URLS = {"signup_url": "http://portal.test/signup", "company_url": "http://portal.test/companies/acme"}


def _mails_to(session, address):
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)))


def test_creating_a_company_makes_the_creator_its_admin(session):
    _, alice = make_user(session, name="Alice")
    company = make_company(session, alice, "Acme Integration", website="acme.example",
                           industry="Software", region="Western Europe", size="11-50",
                           partner_type="systems_integrator", offers="SAP consulting, Data migration",
                           needs="Cloud hosting", email_domains="Acme.example, @acme-group.example")
    assert company.slug == "acme-integration"
    assert company.website == "https://acme.example"
    assert (alice.company_id, alice.company_role, alice.membership_status) == (company.id, "admin", "active")
    tags = company_tags(session, [company.id])[company.id]
    assert [t.name for t in tags["offer"]] == ["SAP consulting", "Data migration"]
    assert [t.name for t in tags["need"]] == ["Cloud hosting"]
    assert company_domains(session, company.id) == ["acme-group.example", "acme.example"]
    assert company_for_email(session, "bob@acme.example").id == company.id


def test_a_person_with_a_company_cannot_create_another(session):
    _, alice = make_user(session)
    make_company(session, alice)
    with pytest.raises(DomainError):
        make_company(session, alice, "Second")


def test_company_named_new_does_not_shadow_the_create_page(session):
    _, alice = make_user(session)
    assert make_company(session, alice, "New").slug != "new"


@pytest.mark.parametrize("field, value", [
    ("name", "x" * 121), ("name", "   "), ("description", "x" * 5001), ("website", "javascript:alert(1)"),
    ("website", "ftp://files.example"), ("website", "https://" + "a" * 300 + ".com"), ("industry", "Piracy"),
    ("region", "Atlantis"), ("size", "huge"), ("partner_type", "spy"), ("offers", "x" * 65),
    ("email_domains", "not a domain"),
])
def test_invalid_fields_are_rejected_and_nothing_changes(session, field, value):
    _, alice = make_user(session)
    company = make_company(session, alice, "Acme", offers="Python", email_domains="acme.example")
    before = fields_of(session, company)
    changed = CompanyFields(**{**before.__dict__, "offers": "Go, Rust", field: value})
    with pytest.raises(DomainError) as error:
        update_company(session, company, changed)
    assert error.value.field == field
    assert fields_of(session, company) == before


def test_a_domain_owned_by_another_company_is_a_form_error_and_nothing_is_saved(session):
    _, alice = make_user(session)
    _, bob = make_user(session)
    make_company(session, alice, "Acme", email_domains="acme.example")
    other = make_company(session, bob, "Other", offers="Go")
    with pytest.raises(DomainError) as error:
        update_company(session, other, CompanyFields(name="Renamed", offers="Rust", email_domains="acme.example"))
    assert error.value.field == "email_domains"
    assert other.name == "Other"
    assert [t.name for t in company_tags(session, [other.id])[other.id]["offer"]] == ["Go"]
    # A company keeping its own domain is fine.
    acme = session.scalar(select(Company).where(Company.name == "Acme"))
    update_company(session, acme, CompanyFields(name="Acme", email_domains="acme.example, acme.example"))
    assert company_domains(session, acme.id) == ["acme.example"]


def test_invite_unknown_email_creates_invitation_and_mail(session):
    _, alice = make_user(session, name="Alice")
    company = make_company(session, alice, "Acme")
    assert membership.invite_member(session, company, alice, " New.Person@Example.ORG ", **URLS) == "invited"
    invitation = session.scalar(select(CompanyInvitation).where(CompanyInvitation.company_id == company.id))
    assert invitation.email == "new.person@example.org" and invitation.accepted_at is None
    [mail] = _mails_to(session, "new.person@example.org")
    assert "http://portal.test/signup" in mail.body_text and "Acme" in mail.subject
    # Inviting again refreshes the one invitation instead of failing.
    membership.invite_member(session, company, alice, "new.person@example.org", role="admin", **URLS)
    assert invitation.role == "admin"
    assert len(membership.open_invitations(session, company.id)) == 1


def test_invite_then_signup_joins_the_company(session):
    """The auth feature calls accept_invitation_for on sign-up; this is that path."""
    from portal.companies.services import accept_invitation_for as accept

    _, alice = make_user(session)
    company = make_company(session, alice, "Acme")
    membership.invite_member(session, company, alice, "carol@elsewhere.example", **URLS)
    _, carol = make_user(session, "carol@elsewhere.example", name="Carol")
    accept(session, carol)
    assert carol.company_id == company.id and carol.membership_status == "active"


def test_invite_existing_person_without_company_adds_them_directly(session):
    _, alice = make_user(session)
    _, bob = make_user(session, "bob@example.org", name="Bob")
    company = make_company(session, alice, "Acme")
    assert membership.invite_member(session, company, alice, "BOB@example.org", **URLS) == "added"
    assert (bob.company_id, bob.membership_status, bob.company_role) == (company.id, "active", "member")
    assert _mails_to(session, "bob@example.org")


def test_invite_refuses_bad_emails_and_people_of_other_companies(session):
    _, alice = make_user(session)
    _, bob = make_user(session, "bob@example.org")
    company = make_company(session, alice, "Acme")
    make_company(session, bob, "Bobco")
    for bad in ("not-an-email", "<script>@x", "", "a@b@c.example"):
        with pytest.raises(DomainError):
            membership.invite_member(session, company, alice, bad, **URLS)
    with pytest.raises(DomainError, match="another company"):
        membership.invite_member(session, company, alice, "bob@example.org", **URLS)
    with pytest.raises(DomainError, match="already a member"):
        membership.invite_member(session, company, alice, alice.email, **URLS)


def test_join_request_then_approve_or_decline(session):
    _, alice = make_user(session, "alice@acme.example")
    _, bob = make_user(session)
    _, carol = make_user(session)
    company = make_company(session, alice, "Acme")
    membership.request_to_join(session, bob, company, members_url="http://portal.test/m")
    membership.request_to_join(session, carol, company)
    assert _mails_to(session, "alice@acme.example")
    members = membership.company_members(session, company.id)
    assert [p.id for p in members.pending] == [bob.id, carol.id]
    assert [p.id for p in members.active] == [alice.id]
    membership.approve_member(session, company, bob)
    membership.decline_member(session, company, carol)
    assert (bob.membership_status, bob.company_id) == ("active", company.id)
    assert carol.company_id is None and carol.membership_status == "active"
    with pytest.raises(DomainError):
        membership.approve_member(session, company, carol)
    with pytest.raises(DomainError):
        membership.request_to_join(session, bob, company)


def test_last_admin_cannot_demote_remove_or_leave(session):
    _, alice = make_user(session)
    _, bob = make_user(session)
    company = make_company(session, alice, "Acme")
    membership.invite_member(session, company, alice, bob.email, **URLS)
    for attempt in (lambda: membership.set_member_role(session, company, alice, "member"),
                    lambda: membership.remove_member(session, company, alice),
                    lambda: membership.leave_company(session, alice)):
        with pytest.raises(DomainError, match="last admin"):
            attempt()
    assert alice.company_role == "admin" and alice.company_id == company.id
    membership.set_member_role(session, company, bob, "admin")
    membership.set_member_role(session, company, alice, "member")
    membership.leave_company(session, alice)
    assert alice.company_id is None
    with pytest.raises(DomainError):
        membership.set_member_role(session, company, bob, "owner")


def test_pending_person_can_withdraw_and_members_can_be_removed(session):
    _, alice = make_user(session)
    company = make_company(session, alice, "Acme")
    dave = create_person(session, "Dave")
    membership.request_to_join(session, dave, company)
    membership.leave_company(session, dave)
    assert dave.company_id is None
    membership.request_to_join(session, dave, company)
    membership.approve_member(session, company, dave)
    membership.remove_member(session, company, dave)
    assert dave.company_id is None


def test_permissions(session):
    admin_user, alice = make_user(session)
    _, bob = make_user(session)
    company = make_company(session, alice, "Acme")
    assert membership.can_manage(alice, company)
    assert not membership.can_manage(bob, company)
    assert not membership.can_manage(None, company)
    assert membership.can_manage(None, company, is_ecosystem_admin=True)
    membership.request_to_join(session, bob, company)
    bob.company_role = "admin"  # a pending person is never an admin, whatever the role says
    assert not membership.is_company_admin(bob, company)


def test_verify_and_unverify(session):
    _, alice = make_user(session)
    company = make_company(session, alice, "Acme")
    set_verified(session, company, True)
    stamp = company.verified_at
    assert stamp is not None
    set_verified(session, company, True)
    assert company.verified_at == stamp
    set_verified(session, company, False)
    assert company.verified_at is None
