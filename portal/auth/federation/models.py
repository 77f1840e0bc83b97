"""A company's OpenID Connect identity provider and the identities it asserted.

One provider per company. The email domains it serves (a subset of the company's own domains)
decide which provider the login page uses for an address; each domain can require SSO.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class CompanyIdentityProvider(Base):
    __tablename__ = "federation_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), unique=True)
    # Compared character for character with discovery's `issuer` and with every ID token's `iss`.
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # Fernet token (portal.auth.federation.secrets); the plain secret is never stored or logged.
    client_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    # {"name": claim, "job_title": claim, "headline": claim, "role_claim": claim, "admin_values": [...]}
    claim_mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    button_label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:  # never the secret
        return f"<CompanyIdentityProvider {self.id} company={self.company_id} issuer={self.issuer!r}>"


class FederationDomain(Base):
    """An email domain a provider signs people in for; `require_sso` refuses password logins."""

    __tablename__ = "federation_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("federation_providers.id", ondelete="CASCADE"),
                                             index=True)
    require_sso: Mapped[bool] = mapped_column(Boolean, default=False)


class FederatedIdentity(Base):
    """A portal account known to a provider as `subject` (the ID token's `sub`)."""

    __tablename__ = "federated_identities"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("federation_providers.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # How the link was made: "provisioned" (new account) or "password" (owner proved control).
    linked_by: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
