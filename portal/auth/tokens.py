"""Signed, expiring tokens for links in emails (itsdangerous).

Each purpose has its own salt, so a verification token cannot be used to reset a password.
A reset token carries the account's session_version and a digest of its password hash:
once the password changes, every reset link issued before dies (single use).
"""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

from portal.auth.models import User

VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 - a token purpose, not a password
MAX_AGE = {VERIFY_EMAIL: 3 * 24 * 3600, RESET_PASSWORD: 3600}


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in MAX_AGE:
        raise ValueError(purpose)
    return URLSafeTimedSerializer(secret_key, salt=f"partnermesh-{purpose}")


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _claims(purpose: str, user: User) -> dict[str, Any]:
    if purpose == VERIFY_EMAIL:
        return {"u": user.id, "e": user.email}
    return {"u": user.id, "v": user.session_version, "p": password_fingerprint(user)}


def make_token(secret_key: str, purpose: str, user: User) -> str:
    return _serializer(secret_key, purpose).dumps(_claims(purpose, user))


def read_token(secret_key: str, purpose: str, token: str) -> dict[str, Any] | None:
    """The token's claims, or None when it is forged, garbled or expired."""
    try:
        data = _serializer(secret_key, purpose).loads(token, max_age=MAX_AGE[purpose])
    except (BadData, UnicodeError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("u"), int) else None


def token_matches(purpose: str, claims: dict[str, Any], user: User) -> bool:
    """The claims still describe the account as it is now."""
    return claims == _claims(purpose, user)
