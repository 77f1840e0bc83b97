"""Site-wide settings."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.admin.models import SiteSetting

MEMBERS_ONLY = "members_only"


def get_setting(session: Session, key: str, default: str = "") -> str:
    row = session.get(SiteSetting, key)
    return row.value if row else default


def set_setting(session: Session, key: str, value: str) -> None:
    row = session.get(SiteSetting, key)
    if row is None:
        session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def is_members_only(session: Session) -> bool:
    return get_setting(session, MEMBERS_ONLY, "0") == "1"


def set_members_only(session: Session, enabled: bool) -> None:
    set_setting(session, MEMBERS_ONLY, "1" if enabled else "0")


# --- Console queries (read-only) -----------------------------------------------------------------

def search_users(session: Session, query: str, page: int, per_page: int = 25):
    """Accounts whose email contains `query`, by email, one page at a time."""
    from sqlalchemy import func, select

    from portal.auth.models import User
    from portal.pagination import paginate

    stmt = select(User)
    query = (query or "").strip().lower()[:254]
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(func.lower(User.email).like(pattern, escape="\\"))
    return paginate(session, stmt.order_by(User.email, User.id), page, per_page)


def companies_awaiting_verification(session: Session, limit: int = 50) -> list:
    """Unverified companies, newest first."""
    from sqlalchemy import select

    from portal.companies.models import Company

    return list(session.scalars(select(Company).where(Company.verified_at.is_(None))
                                .order_by(Company.created_at.desc(), Company.id.desc()).limit(limit)))
