"""Who may see a company's documents and who may publish them.

- "members": anyone logged in (a visitor without an account sees no document);
- "partners": the company's active staff and the active members of companies in an active
  partnership with it (portal.partnerships decides what is active);
- "staff": the company's active members only.
Ecosystem admins get no wider view: a staff-only price list stays the company's.
Publishing (new documents, versions, edits) is for the company's active members, admins
included, and for the company's own back-end systems through the API.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.auth.provider.clients import client_by_client_id
from portal.companies.membership import company_members
from portal.documents.models import MEMBERS, PARTNERS, STAFF, Document
from portal.errors import PermissionDenied
from portal.partnerships.access import active_partner_ids
from portal.profiles.models import MEMBERSHIP_ACTIVE

NARROWNESS = (MEMBERS, PARTNERS, STAFF)


def is_staff(person, company_id: int) -> bool:
    """An active member (or admin) of that company."""
    return (person is not None and person.company_id == company_id
            and person.membership_status == MEMBERSHIP_ACTIVE)


def visible_levels(session: Session, viewer, company_id: int) -> frozenset[str]:
    """The visibility levels of `company_id`'s documents that `viewer` (a Person or None) may see."""
    if viewer is None:
        return frozenset()
    if is_staff(viewer, company_id):
        return frozenset({MEMBERS, PARTNERS, STAFF})
    if (viewer.company_id is not None and viewer.membership_status == MEMBERSHIP_ACTIVE
            and viewer.company_id in active_partner_ids(session, company_id)):
        return frozenset({MEMBERS, PARTNERS})
    return frozenset({MEMBERS})


def can_view(session: Session, viewer, document: Document) -> bool:
    return document.visibility in visible_levels(session, viewer, document.company_id)


def audience_ids(session: Session, document: Document) -> list[int] | None:
    """Who may see a restricted document now (person ids); None when every member may."""
    if document.visibility == MEMBERS:
        return None
    companies = [document.company_id]
    if document.visibility == PARTNERS:
        companies += sorted(active_partner_ids(session, document.company_id))
    return sorted(p.id for company_id in companies for p in company_members(session, company_id).active)


def is_narrower(new_visibility: str, old_visibility: str) -> bool:
    return NARROWNESS.index(new_visibility) > NARROWNESS.index(old_visibility)


def can_publish(person, company_id: int) -> bool:
    return is_staff(person, company_id)


def require_publisher(session: Session, company_id: int, *, actor_person=None,
                      actor_client_id: str | None = None) -> None:
    """A person of the company, or an enabled OAuth client the company owns; PermissionDenied otherwise."""
    if actor_person is not None:
        if not can_publish(actor_person, company_id):
            raise PermissionDenied("Only the company's staff can publish its documents.")
        return
    if actor_client_id is not None:
        client = client_by_client_id(session, actor_client_id)
        if client is None or client.disabled_at is not None or client.owner_company_id != company_id:
            raise PermissionDenied("This system may not publish the company's documents.")
        return
    raise PermissionDenied("Publishing needs a person or a system acting for the company.")
