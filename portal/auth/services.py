"""Accounts: sign-up, verification, login, password reset, roles and suspension.

Services flush, never commit. Links in mails are built by the caller (`link(token) -> URL`)
because only the web layer knows the public address; the secret key is passed in for the
same reason (no Flask imports here).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.auth import tokens
from portal.auth.models import ROLE_ECOSYSTEM_ADMIN, ROLE_MEMBER, ROLES, User
from portal.auth.passwords import (
    burn_verification_time,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from portal.db import utcnow
from portal.errors import DomainError
from portal.mail.services import queue_mail, recent_mail_count
from portal.profiles.models import Person

__all__ = ["hash_password", "verify_password"]  # re-exported for callers that only know this module

DUPLICATE_EMAIL = "An account with this email exists. Log in or reset your password."
# At most this many account mails (verification, reset) to one address per window: the forms
# are rate limited per IP, this also protects one inbox from being flooded from many IPs.
MAIL_CAP, MAIL_WINDOW = 3, timedelta(minutes=15)

Link = Callable[[str], str]


class LoginFailed(DomainError):
    """Wrong email or password (deliberately not saying which)."""


class AccountNotVerified(DomainError):
    pass


class AccountSuspended(DomainError):
    pass


class InvalidToken(DomainError):
    pass


class AlreadyVerified(DomainError):
    pass


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


# --- Lookup and creation ---------------------------------------------------------------------

def normalize_email(raw: str | None) -> str:
    """The address as we store it: validated, normalized, lower case."""
    raw = (raw or "").strip()
    if len(raw) > 254:
        raise DomainError("An email address can be at most 254 characters.", field="email")
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError("Please enter a valid email address.", field="email") from exc


def user_by_email(session: Session, email: str) -> User | None:
    try:
        address = normalize_email(email)
    except DomainError:
        return None
    return session.scalar(select(User).where(User.email == address))


def create_user(session: Session, email: str, password: str, *, verified: bool = False,
                role: str = ROLE_MEMBER, password_hash: str | None = None) -> User:
    """A login account (no profile; see `register_account` for the whole sign-up).

    Bulk creators (the demo generator) may pass a `password_hash` made once with
    `hash_password` instead of paying for one Argon2 hash per account; `password` is then ignored.
    """
    address = normalize_email(email)
    if role not in ROLES:
        raise DomainError(f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}.", field="role")
    if password_hash is None:
        check_password_policy(password, address)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise DomainError(DUPLICATE_EMAIL, field="email")
    user = User(email=address, password_hash=password_hash or hash_password(password), role=role,
                email_verified_at=utcnow() if verified else None, session_version=1)
    session.add(user)
    session.flush()
    return user


def register_account(session: Session, name: str, email: str, password: str, *, verified: bool = False,
                     role: str = ROLE_MEMBER, password_hash: str | None = None) -> User:
    """Sign-up: the account, its profile (a new one, or the unclaimed imported/invited one with the
    same email), and company membership (an open invitation, else a pending request by email domain).
    `password_hash`: as in `create_user`, for bulk creators."""
    from portal.profiles.services import create_person, person_by_email

    address = normalize_email(email)
    existing = person_by_email(session, address)
    if existing is not None and existing.user_id is not None:
        raise DomainError(DUPLICATE_EMAIL, field="email")
    if existing is None:
        # Validate the name before the (slow) password hash and before anything is written.
        from portal.text import clean_line

        if not clean_line(name):
            raise DomainError("Please enter a name.", field="name")
    user = create_user(session, address, password, verified=verified, role=role, password_hash=password_hash)
    if existing is None:
        person = create_person(session, name, email=address, user_id=user.id)
    else:
        person = _claim_person(session, existing, user)
    _join_company_for(session, person, address)
    return user


def _claim_person(session: Session, person: Person, user: User) -> Person:
    """Link an imported or invited profile to the new account. Safe: logging in needs the
    verification link sent to that very address."""
    from portal.db import queue_event

    person.user_id = user.id
    session.flush()
    queue_event(session, "person.changed", {"person_id": person.id})
    return person


def _join_company_for(session: Session, person: Person, address: str) -> None:
    from portal.companies.services import accept_invitation_for, company_for_email
    from portal.profiles.services import set_company_membership

    if accept_invitation_for(session, person):
        return
    if person.company_id is None:
        company = company_for_email(session, address)
        if company is not None:
            set_company_membership(session, person, company.id, status="pending")


# --- Login ------------------------------------------------------------------------------------

def authenticate(session: Session, email: str, password: str) -> User:
    """The account for these credentials, or LoginFailed / AccountNotVerified / AccountSuspended.

    Only someone who knows the password learns that an account is unverified or suspended.
    A hash made with outdated parameters is upgraded here (the caller commits).
    """
    user = user_by_email(session, email)
    if user is None:
        burn_verification_time(password or "")
        raise LoginFailed("Email or password is wrong.")
    if not verify_password(user.password_hash, password or ""):
        raise LoginFailed("Email or password is wrong.")
    if user.suspended_at is not None:
        raise AccountSuspended("This account is suspended. Please contact the ecosystem admins.")
    if user.email_verified_at is None:
        raise AccountNotVerified("Please confirm your email address first: open the link we sent you. "
                                 "Didn't get it? Send a new one below.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_login(session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.flush()


# --- Email verification -----------------------------------------------------------------------

def _mail_allowed(session: Session, address: str) -> bool:
    return recent_mail_count(session, address, utcnow() - MAIL_WINDOW) < MAIL_CAP


def queue_verification_mail(session: Session, user: User, *, secret_key: str, link: Link) -> None:
    url = link(tokens.make_token(secret_key, tokens.VERIFY_EMAIL, user))
    queue_mail(session, user.email, "Verify your email address for PartnerMesh",
               "Hello,\n\nplease confirm your email address to activate your PartnerMesh account:\n\n"
               f"{url}\n\nThe link works for 3 days. If you did not sign up, ignore this mail.\n")


def resend_verification(session: Session, email: str, *, secret_key: str, link: Link) -> None:
    """Send a new link if an unverified account exists; silent otherwise (no account enumeration)."""
    user = user_by_email(session, email)
    if user is None or user.email_verified_at is not None or user.suspended_at is not None:
        return
    if _mail_allowed(session, user.email):
        queue_verification_mail(session, user, secret_key=secret_key, link=link)


def verify_email(session: Session, secret_key: str, token: str) -> User:
    """Mark the address verified. A link works once: afterwards it says AlreadyVerified."""
    claims = tokens.read_token(secret_key, tokens.VERIFY_EMAIL, token)
    user = session.get(User, claims["u"]) if claims else None
    if user is None or claims.get("e") != user.email:
        raise InvalidToken("This verification link is invalid or has expired. Ask for a new one below.")
    if user.email_verified_at is not None:
        raise AlreadyVerified("Your email address is already confirmed. Please log in.")
    user.email_verified_at = utcnow()
    session.flush()
    return user


# --- Passwords --------------------------------------------------------------------------------

def set_password(session: Session, user: User, new_password: str) -> None:
    """New password; bumps session_version so every other session and remember-me cookie dies."""
    check_password_policy(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    session.flush()


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password or ""):
        raise DomainError("Your current password is wrong.", field="current_password")
    set_password(session, user, new_password)


def request_password_reset(session: Session, email: str, *, secret_key: str, link: Link) -> None:
    """Mail a reset link if the account exists; silent otherwise (no account enumeration)."""
    user = user_by_email(session, email)
    if user is None or user.suspended_at is not None or not _mail_allowed(session, user.email):
        return
    url = link(tokens.make_token(secret_key, tokens.RESET_PASSWORD, user))
    queue_mail(session, user.email, "Reset your PartnerMesh password",
               "Hello,\n\nsomebody (hopefully you) asked to reset the password of your PartnerMesh account. "
               f"Choose a new password here:\n\n{url}\n\nThe link works once, for one hour. If you did not ask, "
               "ignore this mail: your password stays as it is.\n")


def user_for_reset_token(session: Session, secret_key: str, token: str) -> User | None:
    claims = tokens.read_token(secret_key, tokens.RESET_PASSWORD, token)
    user = session.get(User, claims["u"]) if claims else None
    if user is None or user.suspended_at is not None or not tokens.token_matches(
            tokens.RESET_PASSWORD, claims, user):
        return None
    return user


def reset_password(session: Session, secret_key: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link (which then stops working). The link proves the
    person reads that inbox, so an unverified address counts as verified from now on."""
    user = user_for_reset_token(session, secret_key, token)
    if user is None:
        raise InvalidToken("This reset link is invalid, used or expired. Ask for a new one.")
    set_password(session, user, new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    session.flush()
    return user


# --- Roles and suspension ---------------------------------------------------------------------

def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == ROLE_ECOSYSTEM_ADMIN, User.suspended_at.is_(None), User.id != user.id)) or 0


def set_role(session: Session, user: User, role: str) -> None:
    """Make an account a member or an ecosystem admin; the last active admin stays one."""
    if role not in ROLES:
        raise DomainError(f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}.", field="role")
    if user.role == ROLE_ECOSYSTEM_ADMIN and role != ROLE_ECOSYSTEM_ADMIN and not _other_active_admins(
            session, user):
        raise DomainError("This is the last ecosystem admin. Make someone else an admin first.", field="role")
    user.role = role
    session.flush()


def suspend_user(session: Session, user: User) -> None:
    """Block logins and end every session of the account at once."""
    if user.suspended_at is not None:
        return
    if user.role == ROLE_ECOSYSTEM_ADMIN and not _other_active_admins(session, user):
        raise DomainError("The last active ecosystem admin cannot be suspended.")
    user.suspended_at = utcnow()
    user.session_version += 1
    session.flush()


def unsuspend_user(session: Session, user: User) -> None:
    user.suspended_at = None
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))
