"""Documents a company publishes, and their numbered versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# Who may see a document (and its versions, downloads and feed items), widest first.
MEMBERS, PARTNERS, STAFF = "members", "partners", "staff"
VISIBILITY_LABELS = {
    MEMBERS: "All members of the portal",
    PARTNERS: "Partner companies and our staff",
    STAFF: "Our staff only",
}


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("visibility IN ('members', 'partners', 'staff')", name="visibility"),
        Index("ix_documents_company_updated", "company_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=MEMBERS)
    # The last version's number; incremented with an UPDATE so that two publishers at once get
    # different numbers (the row lock orders them) instead of a unique-constraint error.
    version_count: Mapped[int] = mapped_column(default=0)
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def visibility_label(self) -> str:
        return VISIBILITY_LABELS.get(self.visibility, self.visibility)


class DocumentVersion(Base):
    """One version: either a stored file (named by its SHA-256 under the instance folder) or a link."""

    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        CheckConstraint("(file_sha256 IS NULL) <> (link_url IS NULL)", name="file_or_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    file_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size_bytes: Mapped[int | None]
    link_url: Mapped[str | None] = mapped_column(String(2000))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    # A member system's OAuth client_id (the API publishes for it); a plain string like
    # feeds' actor_client_id, so this feature does not reach into the provider's tables.
    created_by_client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_link(self) -> bool:
        return self.link_url is not None
