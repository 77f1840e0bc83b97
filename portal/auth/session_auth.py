"""When and how the browser session was authenticated (for OpenID Connect `auth_time`, `amr`, `max_age`).

Flask-Login only knows *who* is logged in. OpenID Connect also needs *when* they last proved it
(`max_age` and `prompt=login` force a fresh login; the ID token carries `auth_time`), so every
login path calls `mark_authenticated()` right after `flask_login.login_user()`.
A session restored from a remember-me cookie has no `auth_time`: it counts as "too old" for any
`max_age`, which is the safe reading (https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest).
"""

from __future__ import annotations

import time

from flask import session

AUTH_TIME_KEY = "auth_time"
AMR_KEY = "amr"


def mark_authenticated(method: str = "pwd") -> None:
    """Record that the user proved who they are just now, with `method` (an RFC 8176 amr value)."""
    session[AUTH_TIME_KEY] = int(time.time())
    session[AMR_KEY] = [method]


def auth_time() -> int | None:
    """Epoch seconds of the last authentication in this browser session, or None if unknown."""
    value = session.get(AUTH_TIME_KEY)
    return int(value) if isinstance(value, int | float) else None


def auth_methods() -> list[str]:
    """How the session was authenticated (["pwd"], ["fed"] ...), [] if unknown."""
    value = session.get(AMR_KEY)
    return [str(item) for item in value] if isinstance(value, list) else []


def forget_authentication() -> None:
    """Drop the record (logout, or a forced re-authentication)."""
    session.pop(AUTH_TIME_KEY, None)
    session.pop(AMR_KEY, None)
