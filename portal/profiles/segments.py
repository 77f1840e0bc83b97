"""Which people belong to a segment of the ecosystem (region, industry, partner type of their company).

A person counts in their company's segment only while their membership is active, as in the
directory. Used by the broker console to narrow a batch or the pipeline to a segment.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.models import Company
from portal.profiles.models import MEMBERSHIP_ACTIVE, Person


def people_in_segment(session: Session, *, region: str = "", industry: str = "",
                      partner_type: str = "") -> set[int] | None:
    """Ids of the people whose company matches every given attribute; None when none is given
    (everyone, without listing them)."""
    if not (region or industry or partner_type):
        return None
    stmt = select(Person.id).join(Company, Company.id == Person.company_id).where(
        Person.membership_status == MEMBERSHIP_ACTIVE)
    if region:
        stmt = stmt.where(Company.region == region)
    if industry:
        stmt = stmt.where(Company.industry == industry)
    if partner_type:
        stmt = stmt.where(Company.partner_type == partner_type)
    return set(session.scalars(stmt))


def segments_of(session: Session, person_ids) -> dict[int, tuple[str, str, str]]:
    """person id → (region, industry, partner type) of their company (active members only; people
    without one are missing)."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Company.region, Company.industry, Company.partner_type)
                           .join(Company, Company.id == Person.company_id)
                           .where(Person.id.in_(ids), Person.membership_status == MEMBERSHIP_ACTIVE))
    return {row.id: (row.region or "", row.industry or "", row.partner_type or "") for row in rows}
