"""Registering OAuth clients and finding them.

A client secret is 256 random bits shown once and stored as its SHA-256 digest. Argon2 (what
passwords use) is made for low-entropy secrets people choose; a 256-bit random value cannot be
guessed however fast the hash is, and a fast hash keeps the token endpoint fast (client
credentials is the hot path for member back-ends). Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.provider.models import AUTH_METHODS, AUTH_NONE, GRANT_TYPES, OAuthClient
from portal.db import utcnow
from portal.errors import DomainError

SUPPORTED_SCOPES = ("openid", "profile", "email", "address", "phone", "offline_access", "org", "partnerships",
                    "entitlements", "ecosystem_roles",
                    "api.read", "feeds.write", "documents.write")  # the integration API's (portal/api/spec.py)
SIGNING_ALGS = ("RS256", "ES256")
LOOPBACK_HOSTS = {"localhost"}


def digest(value: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (client secret, code, refresh token)."""
    return hashlib.sha256(value.encode()).hexdigest()


def secret_matches(client: OAuthClient, secret: str | None) -> bool:
    """Constant-time check of a presented client secret against the stored digest."""
    if not client.client_secret_hash or not secret:
        return False
    return hmac.compare_digest(client.client_secret_hash, digest(secret))


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_redirect_uri(uri: str, *, field: str = "redirect_uris") -> str:
    """An absolute https URI (http only on loopback), without userinfo or fragment.

    Redirect URIs are later compared exactly, character for character; rejecting odd forms at
    registration keeps look-alikes (`https://good@evil`, `https://good.evil`) out of the list.
    """
    uri = (uri or "").strip()
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise DomainError(f"{uri!r} is not a valid URL.", field=field) from None
    if parts.scheme not in ("https", "http") or not host or not port_ok:
        raise DomainError(f"{uri!r}: use an absolute https:// address.", field=field)
    if parts.scheme == "http" and not _is_loopback(host):
        raise DomainError(f"{uri!r}: plain http is only allowed for localhost / 127.0.0.1.", field=field)
    if "@" in parts.netloc:
        raise DomainError(f"{uri!r}: user names in redirect addresses are not allowed.", field=field)
    if parts.fragment or uri.endswith("#"):
        raise DomainError(f"{uri!r}: redirect addresses cannot have a #fragment.", field=field)
    if any(ord(char) < 33 or char in "\\<>\"" for char in uri):
        raise DomainError(f"{uri!r}: contains characters a URL cannot have.", field=field)
    return uri


def _check_choices(values: list[str], allowed: tuple[str, ...], field: str) -> list[str]:
    cleaned = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    unknown = [v for v in cleaned if v not in allowed]
    if unknown:
        raise DomainError(f"Not supported: {', '.join(unknown)} (choose from {', '.join(allowed)}).", field=field)
    return cleaned


def register_client(session: Session, *, name: str, owner_company_id: int | None, redirect_uris: list[str],
                    grant_types: list[str], token_endpoint_auth_method: str, scopes: list[str],
                    audience: str | None = None, post_logout_redirect_uris: list[str] | None = None,
                    id_token_signed_response_alg: str = "RS256",  # noqa: S107 - an algorithm name
                    created_by_person_id: int | None = None) -> tuple[OAuthClient, str | None]:
    """Create a client. Returns it with its secret in the clear (None for a public client):
    the only time the secret exists outside the caller's hands."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise DomainError("Give the client a name (at most 120 characters).", field="name")
    if token_endpoint_auth_method not in AUTH_METHODS:
        raise DomainError(f"Unknown client authentication {token_endpoint_auth_method!r}.",
                          field="token_endpoint_auth_method")
    grants = _check_choices(grant_types, GRANT_TYPES, "grant_types")
    if not grants:
        raise DomainError("Choose at least one grant type.", field="grant_types")
    public = token_endpoint_auth_method == AUTH_NONE
    if public and "client_credentials" in grants:
        raise DomainError("A public client has no secret, so it cannot use client credentials.",
                          field="grant_types")
    uris = list(dict.fromkeys(validate_redirect_uri(u) for u in redirect_uris if u and u.strip()))
    if "authorization_code" in grants and not uris:
        raise DomainError("The authorization code flow needs at least one redirect address.", field="redirect_uris")
    logout_uris = list(dict.fromkeys(validate_redirect_uri(u, field="post_logout_redirect_uris")
                                     for u in (post_logout_redirect_uris or []) if u and u.strip()))
    if id_token_signed_response_alg not in SIGNING_ALGS:
        raise DomainError(f"ID tokens are signed with {' or '.join(SIGNING_ALGS)}.",
                          field="id_token_signed_response_alg")
    scope_list = _check_choices(scopes or ["openid", "profile", "email"], SUPPORTED_SCOPES, "scopes")
    audience = (audience or "").strip() or None
    if audience and len(audience) > 300:
        raise DomainError("The audience is at most 300 characters.", field="audience")
    secret = None if public else secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=secrets.token_urlsafe(18), client_secret_hash=digest(secret) if secret else None,
        name=name, owner_company_id=owner_company_id, redirect_uris=uris, post_logout_redirect_uris=logout_uris,
        grant_types=grants, token_endpoint_auth_method=token_endpoint_auth_method, scopes=scope_list,
        audience=audience, id_token_signed_response_alg=id_token_signed_response_alg,
        created_by_person_id=created_by_person_id,
    )
    session.add(client)
    session.flush()
    return client, secret


def client_by_client_id(session: Session, client_id: str | None) -> OAuthClient | None:
    """The enabled client with that client_id, or None."""
    if not client_id or len(client_id) > 64:
        return None
    client = session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None or client.disabled_at is not None:
        return None
    return client


def clients_of_company(session: Session, company_id: int) -> list[OAuthClient]:
    """Clients a company registered, newest first."""
    return list(session.scalars(select(OAuthClient).where(OAuthClient.owner_company_id == company_id)
                                .order_by(OAuthClient.id.desc())))


def all_clients(session: Session) -> list[OAuthClient]:
    return list(session.scalars(select(OAuthClient).order_by(OAuthClient.id.desc())))


def set_scopes(session: Session, client: OAuthClient, scopes: list[str]) -> list[str]:
    """Change the scopes a client may ask for; returns them. New tokens follow at once; tokens
    issued before keep their `scope` claim (the integration API honours only what the client may
    still ask for)."""
    client.scopes = _check_choices(scopes, SUPPORTED_SCOPES, "scopes")
    session.flush()
    return list(client.scopes)


def new_secret(session: Session, client: OAuthClient) -> str:
    """Replace a confidential client's secret; the old one stops working at once."""
    if client.is_public:
        raise DomainError("A public client has no secret.")
    secret = secrets.token_urlsafe(32)
    client.client_secret_hash = digest(secret)
    session.flush()
    return secret


def disable_client(session: Session, client: OAuthClient) -> None:
    """Stop a client from getting tokens (its existing tokens are revoked by the caller's choice)."""
    client.disabled_at = utcnow()
    session.flush()
