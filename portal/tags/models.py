"""Tags shared by people and companies (skills, interests, offers, needs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    # `key` is the normalized form used for lookups; `name` is how people wrote it first.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TagAlias(Base):
    """A merged-away synonym: new uses of `key` land on `tag_id`."""

    __tablename__ = "tag_aliases"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)
