"""Which company owns (runs) the ecosystem: a site setting that ecosystem health reads.

The owner's staff (its members, plus every ecosystem admin) are the hub of a hub-and-spoke
ecosystem; health measures how much partners talk to each other rather than through them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.admin.services import get_setting, set_setting
from portal.errors import DomainError

OWNER_COMPANY = "ecosystem_owner_company"


def owner_company_id(session: Session) -> int | None:
    """The owner company's id, or None when none is set (or the company was deleted since)."""
    from portal.companies.services import company_summary

    raw = get_setting(session, OWNER_COMPANY, "")
    if not raw.isdigit():
        return None
    company_id = int(raw)
    return company_id if company_summary(session, company_id) is not None else None


def set_owner_company(session: Session, company_id: int | None) -> None:
    """Make `company_id` the ecosystem owner (None: no owner company, only ecosystem admins count as staff)."""
    from portal.companies.services import company_summary

    if company_id is not None and company_summary(session, company_id) is None:
        raise DomainError("That company does not exist.", field="company")
    set_setting(session, OWNER_COMPANY, "" if company_id is None else str(company_id))
