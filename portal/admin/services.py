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
