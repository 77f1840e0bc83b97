"""Bulk reads of companies for the matching graph and ecosystem health (one query per kind)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.models import Company, CompanyTag


@dataclass(frozen=True)
class CompanyRow:
    id: int
    name: str
    slug: str
    region: str
    industry: str
    partner_type: str


def company_rows(session: Session, *, company_ids: Iterable[int] | None = None) -> list[CompanyRow]:
    stmt = select(Company.id, Company.name, Company.slug, Company.region, Company.industry, Company.partner_type)
    if company_ids is not None:
        stmt = stmt.where(Company.id.in_(list(company_ids)))
    return [CompanyRow(cid, name, slug, region or "", industry or "", partner_type or "")
            for cid, name, slug, region, industry, partner_type in session.execute(stmt)]


def company_tag_rows(session: Session, *, company_ids: Iterable[int] | None = None) -> list[tuple[int, int, str]]:
    """(company id, tag id, kind offer|need); company profiles are public."""
    stmt = select(CompanyTag.company_id, CompanyTag.tag_id, CompanyTag.kind)
    if company_ids is not None:
        stmt = stmt.where(CompanyTag.company_id.in_(list(company_ids)))
    return [(cid, tid, kind) for cid, tid, kind in session.execute(stmt)]
