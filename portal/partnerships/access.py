"""Who may act for a company here, and the revocation records kept when access shrinks.

Every change that can take entitlements away (ending a partnership, removing a grant or an
entitlement) snapshots what each affected company holds before the change and, after it, writes
one EntitlementRevocation per entitlement lost — introspection compares them with a token's
issue time (portal.partnerships.claims.entitlements_still_granted).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import PermissionDenied
from portal.partnerships.claims import granted_names
from portal.partnerships.models import ACTIVE, BackendSystem, EntitlementRevocation, Partnership

Snapshot = dict[tuple[int, int], set[str]]


def is_admin_of(person, company_id: int | None) -> bool:
    """An active admin of that company."""
    return (person is not None and company_id is not None and person.company_id == company_id
            and person.company_role == "admin" and person.membership_status == "active")


def require_admin_of(person, company_id: int | None, what: str = "do that") -> None:
    if not is_admin_of(person, company_id):
        raise PermissionDenied(f"Only an admin of the company can {what}.")


def systems_of(session: Session, company_id: int) -> list[BackendSystem]:
    return list(session.scalars(select(BackendSystem).where(BackendSystem.company_id == company_id)
                                .order_by(BackendSystem.name, BackendSystem.id)))


def active_partner_ids(session: Session, company_id: int, kind: str | None = None) -> set[int]:
    """Companies in an active partnership with `company_id` (of `kind` when given)."""
    query = select(Partnership).where(Partnership.status == ACTIVE, or_(
        Partnership.proposer_company_id == company_id, Partnership.partner_company_id == company_id))
    if kind is not None:
        query = query.where(Partnership.kind == kind)
    return {p.other_company_id(company_id) for p in session.scalars(query)}


def snapshot(session: Session, pairs: Iterable[tuple[int, BackendSystem]]) -> tuple[Snapshot, dict]:
    """What each (company, system) pair holds now; pass the result to `record_losses` after the change."""
    systems: dict[int, BackendSystem] = {}
    held: Snapshot = {}
    for company_id, system in pairs:
        systems[system.id] = system
        held[(company_id, system.id)] = granted_names(session, company_id, system)
    return held, systems


def record_losses(session: Session, before: tuple[Snapshot, dict], reason: str) -> int:
    """Write a revocation for every entitlement a pair held in `before` and no longer holds."""
    session.flush()
    held, systems = before
    now = utcnow()
    count = 0
    for (company_id, system_id), names in held.items():
        lost = names - granted_names(session, company_id, systems[system_id])
        for name in sorted(lost):
            session.add(EntitlementRevocation(company_id=company_id, system_id=system_id, name=name,
                                              reason=reason, revoked_at=now))
            count += 1
    session.flush()
    return count
