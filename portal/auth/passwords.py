"""Password hashing (Argon2id through argon2-cffi) and the password policy.

The hasher's parameters can be changed (``configure_hasher``); hashes made with older
parameters are upgraded the next time their owner logs in (``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from portal.errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHasher()


def configure_hasher(**parameters: int) -> PasswordHasher:
    """Replace the hasher (time_cost, memory_cost, parallelism ...); returns the previous one."""
    global _hasher
    previous, _hasher = _hasher, PasswordHasher(**parameters)
    return previous


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises for a malformed or foreign hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


# Verifying against this when the account does not exist keeps the response time the same,
# so timing does not tell whether an address has an account. Made lazily: hashing is slow.
_dummy_hash: str | None = None


def burn_verification_time(password: str) -> None:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("not-a-real-password-0")
    verify_password(_dummy_hash, password)


def check_password_policy(password: str, email: str = "") -> None:
    """Raise DomainError(field="password") unless the password is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise DomainError(f"Use at least {MIN_LENGTH} characters.", field="password")
    if len(password) > MAX_LENGTH:
        raise DomainError(f"Use at most {MAX_LENGTH} characters.", field="password")
    if len(set(password)) == 1:
        raise DomainError("Use more than one repeated character.", field="password")
    email = (email or "").strip().casefold()
    if email and password.strip().casefold() in {email, email.split("@", 1)[0]}:
        raise DomainError("Your password must not be your email address.", field="password")
