"""The live event log: what each open stream was sent, kept for a while so that a browser that
reconnects with `Last-Event-ID` gets what it missed.

One row per (channel, event): a feed activity followed by 200 people is 200 rows on their
`person:<id>` channels, a new forum post is one row on `thread:<id>`. Ids grow in commit order
(see log.py), which is what makes "everything after id N" a complete answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit sequence.
LiveEventId = BigInteger().with_variant(Integer(), "sqlite")


class LiveEvent(Base):
    """One event for the streams listening on one channel ("person:7", "thread:42")."""

    __tablename__ = "live_events"
    # AUTOINCREMENT on SQLite: never reuse the id of a pruned row (ids must only grow).
    __table_args__ = (Index("ix_live_events_channel_id", "channel", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(LiveEventId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
