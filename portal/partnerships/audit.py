"""The partner-access audit log: writing entries and reading them a page at a time.

Company admins read the entries that concern their company; ecosystem admins read all.
"""

from __future__ import annotations

import json

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.pagination import Page, paginate
from portal.partnerships.models import BackendSystem, PartnerAuditEntry
from portal.profiles.services import persons_by_ids

# Keys of `details` that name a company concerned by the entry.
_COMPANY_KEYS = ("company_id", "owner_company_id", "grantee_company_id", "other_company_id",
                 "proposer_company_id", "partner_company_id")
ACTIONS = {
    "partnership.proposed": "Partnership proposed",
    "partnership.accepted": "Partnership accepted",
    "partnership.declined": "Partnership declined",
    "partnership.withdrawn": "Proposal withdrawn",
    "partnership.ended": "Partnership ended",
    "system.registered": "System registered",
    "system.changed": "System changed",
    "system.client_created": "System OAuth client created",
    "system.client_secret_replaced": "System client secret replaced",
    "system.client_scopes_changed": "System client API scopes changed",
    "entitlement.defined": "Entitlement defined",
    "entitlement.removed": "Entitlement removed",
    "grant.added": "Entitlement granted",
    "grant.revoked": "Grant removed",
    "token.issued": "Token issued",
}


def _json_safe(details: dict) -> dict:
    # The column is JSON; anything else (datetimes, sets) is stored as its text.
    return json.loads(json.dumps(details, default=lambda v: sorted(v) if isinstance(v, set | frozenset) else str(v)))


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _concerned_companies(session: Session, actor_person_id: int | None, details: dict) -> list[int]:
    found: list[int] = []
    for key in _COMPANY_KEYS:
        value = _int_or_none(details.get(key))
        if value is not None and value not in found:
            found.append(value)
    for value in details.get("company_ids") or ():
        value = _int_or_none(value)
        if value is not None and value not in found:
            found.append(value)
    audience = details.get("audience")
    if isinstance(audience, str) and audience:
        owner = session.scalar(select(BackendSystem.company_id).where(BackendSystem.audience == audience))
        if owner is not None and owner not in found:
            found.append(owner)
    if not found and actor_person_id is not None:
        actor = persons_by_ids(session, [actor_person_id]).get(actor_person_id)
        if actor is not None and actor.company_id is not None:
            found.append(actor.company_id)
    return found


def record(session: Session, *, actor_person_id: int | None, action: str, subject: str, details: dict,
           company_ids: list[int] | None = None) -> PartnerAuditEntry:
    """Add an entry in the caller's transaction (it is kept only if that commits)."""
    details = _json_safe(details or {})
    ids = [i for i in (company_ids if company_ids is not None
                       else _concerned_companies(session, actor_person_id, details)) if i is not None]
    entry = PartnerAuditEntry(actor_person_id=actor_person_id, action=str(action)[:64],
                              subject=str(subject)[:300], details=details,
                              company_id=ids[0] if ids else None,
                              other_company_id=ids[1] if len(ids) > 1 else None)
    session.add(entry)
    session.flush()
    return entry


def audit_page(session: Session, *, company_id: int | None, number: int, per_page: int = 50,
               action: str | None = None) -> Page[PartnerAuditEntry]:
    """Newest first. `company_id` None: every entry (ecosystem admins)."""
    query = select(PartnerAuditEntry).order_by(PartnerAuditEntry.created_at.desc(), PartnerAuditEntry.id.desc())
    if company_id is not None:
        query = query.where(or_(PartnerAuditEntry.company_id == company_id,
                                PartnerAuditEntry.other_company_id == company_id))
    if action:
        query = query.where(PartnerAuditEntry.action == action)
    return paginate(session, query, number, per_page)


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def actors_of(session: Session, entries: list[PartnerAuditEntry]) -> dict[int, str]:
    """Actor names by person id, for the log page."""
    return {pid: p.name for pid, p in persons_by_ids(session, [e.actor_person_id for e in entries]).items()}
