"""Tables of the OpenID Provider: clients, authorization codes, tokens, consents, signing keys.

Nothing secret is stored in the clear: client secrets, authorization codes and refresh tokens
are kept as SHA-256 digests (they are 256-bit random values, so a fast hash is enough: there is
nothing to brute-force, unlike a password), signing keys are encrypted (see keys.py).
"""

from __future__ import annotations

from datetime import datetime

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

CONFIDENTIAL, PUBLIC = "confidential", "public"
AUTH_NONE = "none"  # RFC 7591 name of "no client authentication" (a public client)
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


class OAuthClient(Base, ClientMixin):
    """A relying party or a member back-end system that gets tokens from the portal.

    The methods below are the interface Authlib's grants and endpoints call (ClientMixin).
    """

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 hex digest of the secret; None for public clients (token_endpoint_auth_method "none").
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    owner_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                                         index=True)
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    grant_types: Mapped[list] = mapped_column(JSON, default=list)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32), default="client_secret_basic")
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    # The audience (resource) tokens for this client are meant for when the request names none.
    audience: Mapped[str | None] = mapped_column(String(300))
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == AUTH_NONE

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris or [])}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only an unambiguous default: with several registered, the request must name one.
        uris = self.redirect_uris or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes this client may have (unknown ones are dropped, as OpenID
        Connect asks); its registered scopes when the request names none."""
        allowed = list(self.scopes or [])
        if not scope:
            return " ".join(allowed)
        return " ".join(dict.fromkeys(s for s in scope.split() if s in allowed))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison, no normalisation (RFC 9700 section 4.1.3).
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        from portal.auth.provider.clients import secret_matches

        return secret_matches(self, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        if self.is_public:
            # A public client may revoke its own tokens by client_id; introspection needs a secret.
            return endpoint == "revocation" and method == AUTH_NONE
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in (self.grant_types or [])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.grant_types or [])


class AuthorizationCode(Base, AuthorizationCodeMixin):
    """A one-time code handed to the client's redirect URI (lives 60 seconds, used once)."""

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(Text)
    auth_time: Mapped[int | None]
    amr: Mapped[list] = mapped_column(JSON, default=list)
    audience: Mapped[str | None] = mapped_column(String(300))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int | None:
        return self.auth_time

    def get_amr(self) -> list[str] | None:
        return list(self.amr or []) or None


class IssuedToken(Base, TokenMixin):
    """One access token (by its `jti`) and the refresh token issued with it, if any.

    Refresh tokens rotate: using one marks it `refresh_used_at` and issues a new row in the same
    `family_id`. Presenting a used one again means it was stolen (or replayed): the whole family
    is revoked (https://datatracker.ietf.org/doc/html/rfc9700#section-4.14.2).
    """

    __tablename__ = "oauth_tokens"
    __table_args__ = (Index("ix_oauth_tokens_family", "family_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The company the token speaks for (client credentials: the client's owner), for introspection.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    scope: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str | None] = mapped_column(String(300))
    entitlements: Mapped[list] = mapped_column(JSON, default=list)
    grant_type: Mapped[str] = mapped_column(String(32))
    # The code this token came from: a second use of the code revokes it (RFC 6749 section 4.1.2).
    code_id: Mapped[int | None] = mapped_column(ForeignKey("oauth_authorization_codes.id", ondelete="SET NULL"),
                                                index=True)
    family_id: Mapped[str] = mapped_column(String(64))
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    refresh_used_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    auth_time: Mapped[int | None]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    def check_client(self, client: OAuthClient) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Consent(Base):
    """What a person agreed to share with a client; asked again only for scopes not yet granted."""

    __tablename__ = "oauth_consents"
    __table_args__ = (UniqueConstraint("user_id", "client_id", name="uq_oauth_consents_user_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningKey(Base):
    """A key that signs ID tokens and access tokens. The private half is encrypted (keys.py).

    Lifecycle: active (signs new tokens; the newest active key per algorithm is used) →
    retiring (`retired_at` set: no longer signs, still published in the JWKS until
    `unpublish_after`, when every token it signed has expired) → gone from the JWKS.
    """

    __tablename__ = "oauth_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(8))
    public_jwk: Mapped[dict] = mapped_column(JSON)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    unpublish_after: Mapped[datetime | None]
