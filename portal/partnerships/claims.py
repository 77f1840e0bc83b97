"""What the OpenID Provider puts in tokens about a person's company, its partnerships and
its entitlements — the interface portal.auth.provider codes against (contract in issue 5).

Who gets which entitlement of a back-end system (an audience):
- the system's owner company: every entitlement of its own systems (its staff run them);
- a company in an *active* partnership with the owner: the entitlements granted to it one by
  one plus those granted to every partner of the kind of (one of) its partnerships with the owner;
- anyone else: nothing, even when a one-by-one grant exists (it only counts while they are partners).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.companies.lookup import companies_by_ids, company_by_id
from portal.companies.services import company_domains
from portal.partnerships import audit
from portal.partnerships.models import (
    ACTIVE,
    BackendSystem,
    Entitlement,
    EntitlementGrant,
    EntitlementRevocation,
    Partnership,
)
from portal.profiles.services import persons_by_ids


def _active_member(session: Session, person_id: int):
    person = persons_by_ids(session, [person_id]).get(person_id)
    if person is None or person.company_id is None or person.membership_status != "active":
        return None
    return person


def org_claims(session: Session, person_id: int) -> dict | None:
    """`org` claim: the person's company (None without an active membership)."""
    person = _active_member(session, person_id)
    company = company_by_id(session, person.company_id) if person else None
    if company is None:
        return None
    return {"id": str(company.id), "name": company.name, "domains": company_domains(session, company.id),
            "partner_type": company.partner_type}


def org_role(session: Session, person_id: int) -> str | None:
    """`org_role` claim: "admin" or "member" of their company, None without one."""
    person = _active_member(session, person_id)
    return person.company_role if person else None


def active_partnerships_between(session: Session, company_id: int, other_id: int) -> list[Partnership]:
    return list(session.scalars(select(Partnership).where(
        Partnership.status == ACTIVE,
        or_(and_(Partnership.proposer_company_id == company_id, Partnership.partner_company_id == other_id),
            and_(Partnership.proposer_company_id == other_id, Partnership.partner_company_id == company_id)))))


def partnership_claims(session: Session, company_id: int) -> list[dict]:
    """`partnerships` claim: [{"org_id", "name", "kind"}] of the company's active partnerships."""
    rows = list(session.scalars(select(Partnership).where(
        Partnership.status == ACTIVE,
        or_(Partnership.proposer_company_id == company_id, Partnership.partner_company_id == company_id))))
    companies = companies_by_ids(session, [p.other_company_id(company_id) for p in rows])
    claims = []
    for partnership in rows:
        other = companies.get(partnership.other_company_id(company_id))
        if other is not None:
            claims.append({"org_id": str(other.id), "name": other.name, "kind": partnership.kind})
    return sorted(claims, key=lambda c: (c["name"].lower(), c["org_id"], c["kind"]))


def system_by_audience(session: Session, audience: str) -> BackendSystem | None:
    return session.scalar(select(BackendSystem).where(BackendSystem.audience == audience))


def audience_exists(session: Session, audience: str) -> bool:
    """True when `audience` is a registered back-end system's audience."""
    return bool(audience) and system_by_audience(session, audience) is not None


def granted_names(session: Session, company_id: int, system: BackendSystem) -> set[str]:
    """The entitlement names of `system` the company holds right now (rules in the module docstring)."""
    live = select(Entitlement.id, Entitlement.name).where(
        Entitlement.system_id == system.id, Entitlement.removed_at.is_(None))
    if company_id == system.company_id:
        return {row.name for row in session.execute(live)}
    kinds = {p.kind for p in active_partnerships_between(session, company_id, system.company_id)}
    if not kinds:
        return set()
    rows = session.execute(
        select(Entitlement.name).join(EntitlementGrant, EntitlementGrant.entitlement_id == Entitlement.id)
        .where(Entitlement.system_id == system.id, Entitlement.removed_at.is_(None),
               EntitlementGrant.revoked_at.is_(None),
               or_(EntitlementGrant.grantee_company_id == company_id,
                   EntitlementGrant.partnership_kind.in_(sorted(kinds)))))
    return {row.name for row in rows}


def entitlements_for(session: Session, company_id: int | None, audience: str) -> list[str]:
    """`entitlements` claim of a token for `audience`: what the company holds, sorted."""
    system = system_by_audience(session, audience) if audience else None
    if system is None or company_id is None:
        return []
    return sorted(granted_names(session, company_id, system))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def entitlements_still_granted(session: Session, company_id: int | None, audience: str,
                               entitlements: list[str], issued_at: datetime) -> bool:
    """False when any of `entitlements` is not held now, or was withdrawn from the company after
    `issued_at` (even if granted again since: the token predates the withdrawal). Introspection
    uses it to report older tokens inactive. Nothing to check (no entitlements) is True."""
    wanted = {name for name in entitlements or () if name}
    if not wanted:
        return True
    system = system_by_audience(session, audience) if audience else None
    if system is None or company_id is None:
        return False
    if not wanted <= granted_names(session, company_id, system):
        return False
    withdrawn = session.scalar(select(EntitlementRevocation.id).where(
        EntitlementRevocation.company_id == company_id, EntitlementRevocation.system_id == system.id,
        EntitlementRevocation.name.in_(sorted(wanted)),
        EntitlementRevocation.revoked_at > _aware(issued_at)).limit(1))
    return withdrawn is None


def record_audit(session: Session, *, actor_person_id: int | None, action: str, subject: str,
                 details: dict | None = None, company_ids: list[int] | None = None) -> None:
    """Write one audit-log entry (the provider logs "token.issued" here). Which companies' admins
    see it comes from `company_ids`, else from ids and the audience named in `details`."""
    audit.record(session, actor_person_id=actor_person_id, action=action, subject=subject,
                 details=details or {}, company_ids=company_ids)
