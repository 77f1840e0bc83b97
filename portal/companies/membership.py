"""Who belongs to a company: invitations, join requests, approvals, roles, leaving.

Every change of a person's membership goes through portal.profiles.services.set_company_membership.
A company always keeps at least one active admin once it has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.companies.models import Company, CompanyInvitation
from portal.errors import DomainError, PermissionDenied
from portal.mail.services import queue_mail
from portal.profiles.models import Person
from portal.profiles.services import person_by_email, set_company_membership

ROLES = ("member", "admin")


@dataclass
class Members:
    active: list[Person]
    pending: list[Person]


def is_company_admin(person: Person | None, company: Company) -> bool:
    return (person is not None and person.company_id == company.id and person.company_role == "admin"
            and person.membership_status == "active")


def can_manage(person: Person | None, company: Company, is_ecosystem_admin: bool = False) -> bool:
    """Company admins and ecosystem admins may edit the company and its members."""
    return is_ecosystem_admin or is_company_admin(person, company)


def company_members(session: Session, company_id: int) -> Members:
    """Active members (admins first, then by name) and pending requests (oldest first)."""
    rows = list(session.scalars(select(Person).where(Person.company_id == company_id)
                                .order_by(Person.company_role != "admin", Person.name, Person.id)))
    pending = sorted((p for p in rows if p.membership_status == "pending"), key=lambda p: (p.created_at, p.id))
    return Members(active=[p for p in rows if p.membership_status == "active"], pending=pending)


def open_invitations(session: Session, company_id: int) -> list[CompanyInvitation]:
    return list(session.scalars(select(CompanyInvitation).where(
        CompanyInvitation.company_id == company_id, CompanyInvitation.accepted_at.is_(None))
        .order_by(CompanyInvitation.created_at, CompanyInvitation.id)))


def _admin_count(session: Session, company_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Person).where(
        Person.company_id == company_id, Person.company_role == "admin",
        Person.membership_status == "active")) or 0


def _member_of(company: Company, person: Person, status: str = "active") -> None:
    if person.company_id != company.id or person.membership_status != status:
        raise DomainError(f"{person.name} is not {'an active member' if status == 'active' else 'waiting'} "
                          f"at {company.name}.")


def _guard_last_admin(session: Session, company: Company, person: Person) -> None:
    if person.company_role == "admin" and _admin_count(session, company.id) <= 1:
        raise DomainError(f"{person.name} is the last admin of {company.name}. "
                          "Make another member an admin first.")


def normalize_email(raw: str) -> str:
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError("Please enter a valid email address.", field="email") from exc


def invite_member(session: Session, company: Company, inviter: Person | None, email: str, *,
                  signup_url: str, company_url: str, role: str = "member") -> str:
    """Invite by email. Returns "added" when the address belongs to a person without a company (they
    join at once and get a note), "invited" when an invitation mail with a sign-up link went out."""
    if role not in ROLES:
        raise DomainError("Please choose a role from the list.", field="role")
    address = normalize_email(email)
    person = person_by_email(session, address)
    inviter_name = inviter.name if inviter else "An ecosystem admin"
    if person is not None:
        if person.company_id == company.id and person.membership_status == "active":
            raise DomainError(f"{person.name} is already a member of {company.name}.", field="email")
        if person.company_id is not None and person.company_id != company.id:
            raise DomainError("That person already belongs to another company.", field="email")
        set_company_membership(session, person, company.id, role=role, status="active")
        queue_mail(session, address, f"You joined {company.name} on PartnerMesh",
                   f"Hello {person.name},\n\n{inviter_name} added you to {company.name} on PartnerMesh.\n\n"
                   f"See the company page: {company_url}\n")
        return "added"
    invitation = session.scalar(select(CompanyInvitation).where(
        CompanyInvitation.company_id == company.id, CompanyInvitation.email == address))
    if invitation is None:
        invitation = CompanyInvitation(company_id=company.id, email=address)
        session.add(invitation)
    invitation.role = role
    invitation.accepted_at = None
    invitation.invited_by_person_id = inviter.id if inviter else None
    session.flush()
    queue_mail(session, address, f"{inviter_name} invited you to {company.name} on PartnerMesh",
               f"Hello,\n\n{inviter_name} invited you to join {company.name} on PartnerMesh, the portal where "
               f"partners of our ecosystem find each other.\n\nSign up with this email address ({address}) "
               f"and you will join {company.name} right away:\n{signup_url}\n")
    return "invited"


def request_to_join(session: Session, person: Person, company: Company, *, members_url: str = "") -> None:
    """A person without a company asks to join; company admins get a note and approve or decline."""
    if person.company_id is not None:
        raise DomainError("You already belong to a company (or asked to join one). Leave it first.")
    set_company_membership(session, person, company.id, role="member", status="pending")
    admins = [p for p in company_members(session, company.id).active if p.company_role == "admin" and p.email]
    for admin in admins:
        queue_mail(session, admin.email, f"{person.name} asked to join {company.name}",
                   f"Hello {admin.name},\n\n{person.name} asked to join {company.name} on PartnerMesh.\n"
                   f"Approve or decline the request here: {members_url}\n")


def approve_member(session: Session, company: Company, person: Person) -> None:
    _member_of(company, person, "pending")
    set_company_membership(session, person, company.id, role="member", status="active")


def decline_member(session: Session, company: Company, person: Person) -> None:
    """Decline a pending request: the person is detached from the company."""
    _member_of(company, person, "pending")
    set_company_membership(session, person, None)


def set_member_role(session: Session, company: Company, person: Person, role: str) -> None:
    if role not in ROLES:
        raise DomainError("Please choose a role from the list.", field="role")
    _member_of(company, person)
    if role == person.company_role:
        return
    if role == "member":
        _guard_last_admin(session, company, person)
    set_company_membership(session, person, company.id, role=role, status="active")


def remove_member(session: Session, company: Company, person: Person) -> None:
    _member_of(company, person)
    _guard_last_admin(session, company, person)
    set_company_membership(session, person, None)


def leave_company(session: Session, person: Person) -> None:
    """A person leaves their company (or withdraws a pending request)."""
    if person.company_id is None:
        raise DomainError("You do not belong to a company.")
    company = session.get(Company, person.company_id)
    if company is not None and person.membership_status == "active":
        _guard_last_admin(session, company, person)
    set_company_membership(session, person, None)


def require_manager(person: Person | None, company: Company, is_ecosystem_admin: bool) -> None:
    if not can_manage(person, company, is_ecosystem_admin):
        raise PermissionDenied("Only the company's admins can do that.")
