"""Writing, reading and pruning the live event log.

Resuming by "every id above N" is only complete if ids become visible in id order: a row with
id 11 must never be readable while id 10 is still being written. SQLite serialises writers, so
a row's id is taken under the one write lock. On PostgreSQL a sequence hands out ids before
commit, so concurrent writers could commit 11 before 10; `append` takes a transaction-scoped
advisory lock first, which makes the id order the commit order there too. Writers hold it for
one small INSERT, after the change that caused the events has already committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from portal.realtime.models import LiveEvent
from portal.realtime.sse import format_event, frame

# pg_advisory_xact_lock key for "writing the live log" ('live' in ASCII).
_ORDER_LOCK_KEY = 0x6C697665


@dataclass(frozen=True)
class LiveEntry:
    """An event to store for one channel."""

    channel: str
    event: str
    data: dict


@dataclass(frozen=True)
class LiveRecord:
    """A stored event as streams send it (plain values: no session needed to read it)."""

    id: int
    channel: str
    event: str
    data: dict

    @cached_property
    def sse(self) -> str:
        """The event as a stream sends it, formatted once however many streams send it."""
        return format_event(self.event, self.data, self.id)

    @cached_property
    def sse_bytes(self) -> bytes:
        return self.sse.encode()

    @cached_property
    def sse_chunk(self) -> bytes:
        return frame(self.sse_bytes, chunked=True)

    def frame(self, chunked: bool) -> bytes:
        """The event as a socket writer sends it (see writer.py), framed once for every stream."""
        return self.sse_chunk if chunked else self.sse_bytes


def _record(row: LiveEvent) -> LiveRecord:
    return LiveRecord(row.id, row.channel, row.event, row.data or {})


def append(session: Session, entries: list[LiveEntry]) -> list[LiveRecord]:
    """Store events in the order given; flushes (ids assigned) but does not commit."""
    if not entries:
        return []
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ORDER_LOCK_KEY})
    rows = [LiveEvent(channel=entry.channel, event=entry.event, data=entry.data) for entry in entries]
    session.add_all(rows)  # the unit of work inserts in the order added
    session.flush()
    return sorted((_record(row) for row in rows), key=lambda record: record.id)


def newest_id(session: Session) -> int:
    return session.scalar(select(func.max(LiveEvent.id))) or 0


def read_after(session: Session, after_id: int, *, channels: list[str] | None = None,
               limit: int = 1000) -> list[LiveRecord]:
    """Events with an id above `after_id` (on these channels), oldest first."""
    query = select(LiveEvent).where(LiveEvent.id > after_id)
    if channels is not None:
        query = query.where(LiveEvent.channel.in_(channels))
    return [_record(row) for row in session.scalars(query.order_by(LiveEvent.id).limit(limit))]


def can_resume_from(session: Session, last_id: int) -> bool:
    """Whether everything after `last_id` is still in the log.

    False when older events were pruned since (the page must reload to be current), and when
    the id is newer than anything stored (an id from another database, say after a restore).
    A gap in ids right above the oldest kept row (a rolled-back write) errs on the side of
    reloading, which costs a page load and loses nothing."""
    oldest, newest = session.execute(select(func.min(LiveEvent.id), func.max(LiveEvent.id))).one()
    if newest is None:
        return last_id == 0
    return oldest - 1 <= last_id <= newest


def prune(session: Session, older_than: datetime) -> int:
    """Delete events written before `older_than`, always keeping the newest row (so that the
    log still knows how far ids went and a fresh SQLite table cannot hand out old ids again)."""
    newest = newest_id(session)
    result = session.execute(delete(LiveEvent).where(LiveEvent.created_at < older_than, LiveEvent.id < newest))
    return result.rowcount or 0
