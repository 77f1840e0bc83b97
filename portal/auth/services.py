"""Accounts: sign-up, verification, login, password reset."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.auth.models import User


def load_user_for_session(session: Session, user_key: str) -> User | None:
    """Flask-Login's loader: the key is "id:session_version" so a password change logs out everywhere."""
    try:
        user_id, version = (int(part) for part in user_key.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = session.get(User, user_id)
    if user is None or user.session_version != version or not user.is_active:
        return None
    return user
