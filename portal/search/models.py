"""The PostgreSQL search backend's table (SEARCH_BACKEND=postgres). With the Whoosh backend it stays empty."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base

# tsvector on PostgreSQL; plain text elsewhere so that one migration serves both databases.
TsVector = TSVECTOR().with_variant(Text(), "sqlite")


class SearchDocumentRow(Base):
    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv_public", "tsv_public", postgresql_using="gin"),
        Index("ix_search_documents_tsv_members", "tsv_members", postgresql_using="gin"),
        Index("ix_search_documents_tsv_connections", "tsv_connections", postgresql_using="gin"),
    )

    doc_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    tag_keys: Mapped[str] = mapped_column(Text, default="")  # "|key|key|" for an exact-match filter
    body: Mapped[str] = mapped_column(Text, default="")
    body_members: Mapped[str] = mapped_column(Text, default="")
    body_connections: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(40), index=True)
    category_id: Mapped[int | None]
    company_id: Mapped[int | None]
    owner_id: Mapped[int | None]
    created_at: Mapped[datetime]
    url: Mapped[str] = mapped_column(String(300))
    context: Mapped[str] = mapped_column(Text, default="")
    tsv_public: Mapped[str | None] = mapped_column(TsVector)
    tsv_members: Mapped[str | None] = mapped_column(TsVector)
    tsv_connections: Mapped[str | None] = mapped_column(TsVector)
