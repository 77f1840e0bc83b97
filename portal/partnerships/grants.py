"""Granting a system's entitlements to partner companies: to every active partner of a kind,
or to one company. Removing a grant keeps its row (`revoked_at`) and records what each company
lost (portal.partnerships.access), so that tokens issued before read as inactive."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.lookup import companies_by_ids, company_by_id
from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.partnerships import audit
from portal.partnerships.access import active_partner_ids, record_losses, require_admin_of, snapshot
from portal.partnerships.models import PARTNERSHIP_KINDS, BackendSystem, Entitlement, EntitlementGrant


def _details(system: BackendSystem, entitlement: Entitlement, grant: EntitlementGrant) -> dict:
    return {"grant_id": grant.id, "system_id": system.id, "audience": system.audience,
            "entitlement": entitlement.name, "partnership_kind": grant.partnership_kind,
            "grantee_company_id": grant.grantee_company_id}


def _audit_companies(system: BackendSystem, grant: EntitlementGrant) -> list[int]:
    return [system.company_id] + ([grant.grantee_company_id] if grant.grantee_company_id else [])


def _live_grant(session: Session, entitlement: Entitlement, *, kind: str | None = None,
                company_id: int | None = None) -> EntitlementGrant | None:
    query = select(EntitlementGrant).where(EntitlementGrant.entitlement_id == entitlement.id,
                                           EntitlementGrant.revoked_at.is_(None))
    query = query.where(EntitlementGrant.partnership_kind == kind) if kind else query.where(
        EntitlementGrant.grantee_company_id == company_id)
    return session.scalar(query)


def grant(session: Session, actor, system: BackendSystem, entitlement: Entitlement, *,
          kind: str | None = None, company_id: int | None = None) -> EntitlementGrant:
    """Grant `entitlement` to every active partner of `kind`, or to one partner company."""
    require_admin_of(actor, system.company_id, "grant entitlements")
    if entitlement.system_id != system.id or entitlement.removed_at is not None:
        raise NotFound("There is no such entitlement.")
    if (kind is None) == (company_id is None):
        raise DomainError("Choose either a kind of partnership or one company.", field="target")
    if kind is not None and kind not in PARTNERSHIP_KINDS:
        raise DomainError("Please choose a kind of partnership from the list.", field="target")
    if company_id is not None:
        company = company_by_id(session, company_id)
        if company is None:
            raise DomainError("Please choose a company from the list.", field="target")
        if company.id == system.company_id:
            raise DomainError("Your own company always holds its systems' entitlements.", field="target")
        if company.id not in active_partner_ids(session, system.company_id):
            raise DomainError(f"{company.name} is not an active partner of your company.", field="target")
    if _live_grant(session, entitlement, kind=kind, company_id=company_id) is not None:
        raise DomainError("That grant already exists.", field="target")
    row = EntitlementGrant(entitlement_id=entitlement.id, partnership_kind=kind, grantee_company_id=company_id,
                           granted_by_id=actor.id, granted_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor_person_id=actor.id, action="grant.added", subject=f"grant:{row.id}",
                 details=_details(system, entitlement, row), company_ids=_audit_companies(system, row))
    return row


def revoke(session: Session, actor, system: BackendSystem, grant_id: int) -> int:
    """Remove a grant; returns how many (company, entitlement) pairs were lost because of it."""
    require_admin_of(actor, system.company_id, "remove grants")
    row = session.get(EntitlementGrant, grant_id)
    entitlement = session.get(Entitlement, row.entitlement_id) if row else None
    if row is None or entitlement is None or entitlement.system_id != system.id or row.revoked_at is not None:
        raise NotFound("There is no such grant.")
    holders = ({row.grantee_company_id} if row.grantee_company_id
               else active_partner_ids(session, system.company_id, row.partnership_kind))
    before = snapshot(session, [(company_id, system) for company_id in sorted(holders)])
    row.revoked_at, row.revoked_by_id = utcnow(), actor.id
    lost = record_losses(session, before, "grant.revoked")
    audit.record(session, actor_person_id=actor.id, action="grant.revoked", subject=f"grant:{row.id}",
                 details={**_details(system, entitlement, row), "entitlements_revoked": lost},
                 company_ids=_audit_companies(system, row))
    return lost


@dataclass
class GrantRow:
    grant: EntitlementGrant
    entitlement: str
    target: str  # "Every reseller partner" or the company's name


def grants_of(session: Session, system: BackendSystem) -> list[GrantRow]:
    """The system's live grants, by entitlement then target."""
    rows = list(session.execute(
        select(EntitlementGrant, Entitlement.name).join(Entitlement, Entitlement.id == EntitlementGrant.entitlement_id)
        .where(Entitlement.system_id == system.id, Entitlement.removed_at.is_(None),
               EntitlementGrant.revoked_at.is_(None))))
    companies = companies_by_ids(session, [g.grantee_company_id for g, _ in rows])
    result = []
    for row, name in rows:
        if row.partnership_kind:
            target = f"Every {PARTNERSHIP_KINDS.get(row.partnership_kind, row.partnership_kind).lower()} partner"
        else:
            company = companies.get(row.grantee_company_id)
            target = company.name if company else "(deleted company)"
        result.append(GrantRow(row, name, target))
    return sorted(result, key=lambda r: (r.entitlement, r.grant.partnership_kind is None, r.target.lower()))
