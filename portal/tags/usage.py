"""Who uses a tag. Companies have no service for this yet, so the one query lives here
(read-only; the companies feature may take it over as `companies_with_tag`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session


def companies_with_tag(session: Session, tag_id: int, limit: int = 60) -> dict[str, list]:
    """Companies using a tag, by kind (offer, need); company tags are always public."""
    from portal.companies.models import COMPANY_TAG_KINDS, Company, CompanyTag

    result: dict[str, list] = {kind: [] for kind in COMPANY_TAG_KINDS}
    rows = session.execute(select(Company, CompanyTag.kind).join(CompanyTag, CompanyTag.company_id == Company.id)
                           .where(CompanyTag.tag_id == tag_id).order_by(Company.name, Company.id))
    for company, kind in rows:
        if kind in result and len(result[kind]) < limit:
            result[kind].append(company)
    return result
