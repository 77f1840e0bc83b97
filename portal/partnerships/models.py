"""Partnerships, back-end systems, entitlements, grants, revocation records and the audit log.

Nothing here is deleted when access is withdrawn: grants get `revoked_at`, entitlements get
`removed_at`, partnerships get `ended_at`, and every entitlement a company loses is written to
`EntitlementRevocation` with its time, so that token introspection can tell whether a token
issued earlier still reflects what is granted (portal.partnerships.claims.entitlements_still_granted).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# The kinds of relationship, with their labels: the one place that lists them.
PARTNERSHIP_KINDS = {
    "reseller": "Reseller",
    "integration": "Integration",
    "supplier": "Supplier",
    "co-sell": "Co-sell",
    "services": "Services",
    "other": "Other",
}
PROPOSED, ACTIVE, DECLINED, ENDED = "proposed", "active", "declined", "ended"
PARTNERSHIP_STATUSES = {PROPOSED: "Proposed", ACTIVE: "Active", DECLINED: "Declined", ENDED: "Ended"}
# A pair of companies has at most one partnership that is proposed or active at a time.
OPEN_STATUSES = (PROPOSED, ACTIVE)


class Partnership(Base):
    """A relationship between two companies: proposed by one, answered by the other."""

    __tablename__ = "partnerships"
    __table_args__ = (
        CheckConstraint("proposer_company_id <> partner_company_id", name="two_companies"),
        Index("ix_partnerships_pair", "proposer_company_id", "partner_company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposer_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    partner_company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=PROPOSED, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    introduction_id: Mapped[int | None] = mapped_column(ForeignKey("introductions.id", ondelete="SET NULL"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None]

    @property
    def company_ids(self) -> tuple[int, int]:
        return self.proposer_company_id, self.partner_company_id

    def other_company_id(self, company_id: int) -> int:
        return self.partner_company_id if company_id == self.proposer_company_id else self.proposer_company_id

    @property
    def kind_label(self) -> str:
        return PARTNERSHIP_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return PARTNERSHIP_STATUSES.get(self.status, self.status)


class BackendSystem(Base):
    """A company's back-end system: a resource server known to tokens by its `audience`."""

    __tablename__ = "partner_backend_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    audience: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The OAuth client_id of the system's own client (client credentials), made by
    # portal.auth.provider.clients.register_client; a plain string, not a foreign key, so that this
    # feature does not reach into the provider's tables.
    oauth_client_id: Mapped[str | None] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Entitlement(Base):
    """A permission a system understands, such as `orders:read`."""

    __tablename__ = "partner_entitlements"
    __table_args__ = (UniqueConstraint("system_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("partner_backend_systems.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]


class EntitlementGrant(Base):
    """An entitlement granted to one company, or to every active partner of one kind."""

    __tablename__ = "partner_entitlement_grants"
    __table_args__ = (
        CheckConstraint("(grantee_company_id IS NULL) <> (partnership_kind IS NULL)", name="one_target"),
        Index("ix_partner_entitlement_grants_active", "entitlement_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("partner_entitlements.id", ondelete="CASCADE"))
    grantee_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                                           index=True)
    partnership_kind: Mapped[str | None] = mapped_column(String(32))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]


class EntitlementRevocation(Base):
    """A company lost an entitlement of a system at `revoked_at` (why: `reason`)."""

    __tablename__ = "partner_entitlement_revocations"
    __table_args__ = (Index("ix_partner_entitlement_revocations_lookup", "company_id", "system_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    system_id: Mapped[int] = mapped_column(ForeignKey("partner_backend_systems.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerAuditEntry(Base):
    """One line of the partner-access audit log. `company_id` / `other_company_id` are the
    companies whose admins see the entry."""

    __tablename__ = "partner_audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    other_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"),
                                                         index=True)
