"""Issuing, finding and revoking tokens.

Access tokens are JWTs per RFC 9068 (header typ "at+jwt", claims iss, sub, aud, exp, iat, jti,
client_id, scope) so that member back-ends can check them offline against the JWKS; each one
also has a row (by jti) so that introspection and revocation know about it. Refresh tokens are
opaque random strings stored as digests; they rotate on every use and a reused one revokes its
whole family (RFC 9700 section 4.14.2).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal.auth.provider import keys
from portal.auth.provider.clients import digest
from portal.auth.provider.models import AuthorizationCode, IssuedToken, OAuthClient
from portal.db import utcnow

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - the RFC 9068 media type, not a secret


@dataclass(frozen=True)
class TokenSettings:
    """What token issuance needs from the app's configuration."""

    issuer: str
    secret_key: str
    access_token_seconds: int = 3600
    id_token_seconds: int = 3600
    refresh_token_seconds: int = 30 * 86400
    code_seconds: int = 60
    key_check_seconds: float = 0.0  # how long cached keys go unchecked (keys.py)

    @property
    def max_signed_token_seconds(self) -> int:
        """How long a signing key must stay published after it stops signing: the longest token
        lifetime, plus the time other processes may still sign with their cached key."""
        return max(self.access_token_seconds, self.id_token_seconds) + int(self.key_check_seconds + 0.999)


@dataclass
class TokenGrant:
    """Everything one issuance needs; the grant fills it from the request it handles."""

    client: OAuthClient
    grant_type: str
    scope: str
    user_id: int | None = None
    company_id: int | None = None
    audience: str | None = None
    extra_claims: dict | None = None   # org / entitlements / identity claims the scopes release
    code_id: int | None = None
    family_id: str | None = None
    auth_time: int | None = None
    include_refresh_token: bool = False


def sign(settings: TokenSettings, session: Session, claims: dict, *, alg: str = "RS256",
         typ: str | None = None) -> str:
    """Sign `claims` with the active key for `alg` (header carries its kid)."""
    key = keys.signing_key(session, settings.secret_key, alg, check_seconds=settings.key_check_seconds)
    header = {"alg": alg, "kid": key.kid}
    if typ:
        header["typ"] = typ
    return jwt.encode(header, claims, key.private, algorithms=[alg])


def issue(session: Session, settings: TokenSettings, grant: TokenGrant) -> tuple[dict, IssuedToken]:
    """Create an access token (and a refresh token when asked). Returns the token response
    body (RFC 6749 section 5.1) and the stored row."""
    now = int(time.time())
    jti = secrets.token_urlsafe(16)
    client_id = grant.client.client_id
    claims = {
        "iss": settings.issuer,
        "sub": str(grant.user_id) if grant.user_id is not None else client_id,
        "aud": grant.audience or client_id,
        "exp": now + settings.access_token_seconds,
        "iat": now,
        "jti": jti,
        "client_id": client_id,
        "scope": grant.scope,
    }
    if grant.auth_time is not None:
        claims["auth_time"] = grant.auth_time
    for name, value in (grant.extra_claims or {}).items():
        claims.setdefault(name, value)  # never let a profile claim override a registered one
    access_token = sign(settings, session, claims, typ=ACCESS_TOKEN_TYPE)
    issued_at = datetime.fromtimestamp(now, tz=UTC)
    row = IssuedToken(
        jti=jti, client_id=client_id, user_id=grant.user_id, company_id=grant.company_id, scope=grant.scope,
        audience=grant.audience, entitlements=list(claims.get("entitlements") or []), grant_type=grant.grant_type,
        code_id=grant.code_id, family_id=grant.family_id or secrets.token_urlsafe(16), auth_time=grant.auth_time,
        issued_at=issued_at, expires_at=issued_at + timedelta(seconds=settings.access_token_seconds),
    )
    body = {"token_type": "Bearer", "access_token": access_token, "expires_in": settings.access_token_seconds,
            "scope": grant.scope}
    if grant.include_refresh_token:
        refresh_token = secrets.token_urlsafe(32)
        row.refresh_token_hash = digest(refresh_token)
        row.refresh_expires_at = issued_at + timedelta(seconds=settings.refresh_token_seconds)
        body["refresh_token"] = refresh_token
    session.add(row)
    session.flush()
    return body, row


# --- Authorization codes ------------------------------------------------------------------------

def save_code(session: Session, settings: TokenSettings, code: str, **fields) -> AuthorizationCode:
    """Store a new authorization code (by digest) that expires after `settings.code_seconds`."""
    row = AuthorizationCode(code_hash=digest(code), expires_at=utcnow() + timedelta(seconds=settings.code_seconds),
                            **fields)
    session.add(row)
    session.flush()
    return row


def redeem_code(session: Session, code: str, client: OAuthClient) -> AuthorizationCode | None:
    """The code's row if it is this client's, unexpired and not used before; it is marked used
    in the same step (an UPDATE … WHERE used_at IS NULL, so two concurrent requests cannot both
    win). A second use revokes every token issued from the code (RFC 6749 section 4.1.2)."""
    row = session.scalar(select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code)))
    if row is None or row.client_id != client.client_id:
        return None
    if row.used_at is not None:
        revoke_from_code(session, row.id)
        return None
    if row.expires_at <= utcnow():
        return None
    claimed = session.execute(update(AuthorizationCode).where(
        AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None)).values(used_at=utcnow()))
    if claimed.rowcount != 1:
        revoke_from_code(session, row.id)
        return None
    session.refresh(row)
    return row


# --- Revocation ---------------------------------------------------------------------------------

def revoke_families(session: Session, family_ids: set[str]) -> int:
    """Revoke every access and refresh token of these families. Returns how many were live."""
    if not family_ids:
        return 0
    result = session.execute(update(IssuedToken).where(
        IssuedToken.family_id.in_(sorted(family_ids)), IssuedToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()))
    session.expire_all()
    return result.rowcount or 0


def revoke_from_code(session: Session, code_id: int) -> int:
    """Revoke every token issued from an authorization code, and the tokens refreshed from them."""
    families = set(session.scalars(select(IssuedToken.family_id).where(IssuedToken.code_id == code_id)))
    return revoke_families(session, families)


def revoke(session: Session, row: IssuedToken, *, whole_family: bool = False) -> None:
    """Revoke one token (RFC 7009); a refresh token takes its family with it."""
    if whole_family:
        revoke_families(session, {row.family_id})
    elif row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


# --- Finding tokens -----------------------------------------------------------------------------

def by_refresh_token(session: Session, refresh_token: str) -> IssuedToken | None:
    if not refresh_token:
        return None
    return session.scalar(select(IssuedToken).where(IssuedToken.refresh_token_hash == digest(refresh_token)))


def use_refresh_token(session: Session, refresh_token: str, client: OAuthClient) -> IssuedToken | None:
    """The row of a live refresh token of this client, marked used (rotation). A refresh token
    presented a second time is a replay: its whole family is revoked and None returned."""
    row = by_refresh_token(session, refresh_token)
    if row is None or row.client_id != client.client_id:
        return None
    if row.refresh_used_at is not None or row.revoked_at is not None:
        revoke_families(session, {row.family_id})
        return None
    if row.refresh_expires_at is None or row.refresh_expires_at <= utcnow():
        return None
    claimed = session.execute(update(IssuedToken).where(
        IssuedToken.id == row.id, IssuedToken.refresh_used_at.is_(None)).values(refresh_used_at=utcnow()))
    if claimed.rowcount != 1:
        revoke_families(session, {row.family_id})
        return None
    session.refresh(row)
    return row


def decode_access_token(session: Session, settings: TokenSettings, token: str) -> dict | None:
    """The claims of an access token this provider signed and that has not expired, else None.
    Algorithms are pinned (never "none"), the kid must be one of ours, typ must be at+jwt."""
    try:
        decoded = jwt.decode(token, keys.verification_keys(session, check_seconds=settings.key_check_seconds),
                             algorithms=list(keys.ALGORITHMS))
        if decoded.header.get("typ") != ACCESS_TOKEN_TYPE:
            return None
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": settings.issuer},
                              exp={"essential": True}, jti={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError, TypeError):
        return None
    return dict(decoded.claims)


def live_access_token(session: Session, settings: TokenSettings, token: str) -> tuple[dict, IssuedToken] | None:
    """Claims and row of a valid, unexpired, unrevoked access token; None otherwise."""
    claims = decode_access_token(session, settings, token)
    if claims is None:
        return None
    row = by_jti(session, claims["jti"])
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return claims, row


def by_jti(session: Session, jti: str) -> IssuedToken | None:
    return session.scalar(select(IssuedToken).where(IssuedToken.jti == jti))


def purge_expired(session: Session, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes and tokens that expired more than `older_than` ago (housekeeping)."""
    cutoff = utcnow() - older_than
    removed = session.execute(IssuedToken.__table__.delete().where(
        IssuedToken.expires_at < cutoff,
        or_(IssuedToken.refresh_expires_at.is_(None), IssuedToken.refresh_expires_at < cutoff))).rowcount or 0
    removed += session.execute(AuthorizationCode.__table__.delete().where(
        AuthorizationCode.expires_at < cutoff,
        ~AuthorizationCode.id.in_(select(IssuedToken.code_id).where(IssuedToken.code_id.is_not(None))))
    ).rowcount or 0
    return removed
