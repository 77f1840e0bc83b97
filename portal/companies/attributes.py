"""Every company's segmenting attributes in one query (ecosystem health, broker filters)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.models import Company


@dataclass(frozen=True)
class CompanyAttributes:
    id: int
    name: str
    region: str
    industry: str
    partner_type: str  # a key of portal.companies.models.PARTNER_TYPES


def company_attributes(session: Session) -> dict[int, CompanyAttributes]:
    """id → attributes of every company."""
    rows = session.execute(select(Company.id, Company.name, Company.region, Company.industry, Company.partner_type))
    return {row.id: CompanyAttributes(row.id, row.name, row.region or "", row.industry or "", row.partner_type or "")
            for row in rows}
