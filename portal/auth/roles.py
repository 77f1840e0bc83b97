"""Read-only questions about accounts' roles, for features that aggregate over everyone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import ROLE_ECOSYSTEM_ADMIN, User


def ecosystem_admin_user_ids(session: Session) -> set[int]:
    """Ids of every account with the ecosystem-admin role (suspended ones included: they held the role)."""
    return set(session.scalars(select(User.id).where(User.role == ROLE_ECOSYSTEM_ADMIN)))
