"""Account facts other features need in bulk: who is suspended, who runs the ecosystem."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import ROLE_ECOSYSTEM_ADMIN, User


def suspended_user_ids(session: Session, user_ids: Iterable[int] | None = None) -> set[int]:
    """Suspended accounts among `user_ids` (all of them when None), in one query."""
    stmt = select(User.id).where(User.suspended_at.is_not(None))
    if user_ids is not None:
        ids = [uid for uid in set(user_ids) if uid is not None]
        if not ids:
            return set()
        stmt = stmt.where(User.id.in_(ids))
    return set(session.scalars(stmt))


def ecosystem_admin_user_ids(session: Session) -> set[int]:
    return set(session.scalars(select(User.id).where(User.role == ROLE_ECOSYSTEM_ADMIN)))
