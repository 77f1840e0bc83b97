"""What a stream listens to and where it starts: the checks a view runs before streaming."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.realtime import log as live_log
from portal.realtime.audiences import person_channel, thread_channel

MAX_BACKLOG = 1000  # more missed events than this: reloading the page is cheaper than replaying


@dataclass(frozen=True)
class ResumePlan:
    start_id: int  # the stream's `ready` id: where a reconnect resumes if nothing else arrives
    backlog: list[live_log.LiveRecord] = field(default_factory=list)
    reload: bool = False


def parse_last_event_id(value: str | None) -> int | None:
    """The Last-Event-ID a browser sent back (our ids are non-negative integers)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 18:
        raise DomainError("Last-Event-ID must be an event id this server sent (a whole number).")
    return int(value)


def channels_for(session: Session, viewer, *, thread_id: str | None = None) -> list[str]:
    """The person's own channel, plus an open thread's when the viewer may read that thread.
    An unknown, deleted or unreadable thread is NotFound alike (a private group's threads do not
    reveal that they exist)."""
    channels = [person_channel(viewer.person_id)] if viewer.person_id is not None else []
    if thread_id is not None:
        channels.append(_readable_thread_channel(session, viewer, thread_id))
    if not channels:
        raise DomainError("Nothing to listen to: this account has no profile and no thread was given.")
    return channels


def _readable_thread_channel(session: Session, viewer, thread_id: str) -> str:
    from portal.forums.access import can_moderate, can_read
    from portal.forums.models import Category, Thread

    if not str(thread_id).isdigit() or len(str(thread_id)) > 18:
        raise NotFound("No such thread.")
    thread = session.get(Thread, int(thread_id))
    category = session.get(Category, thread.category_id) if thread is not None else None
    if category is None or not can_read(session, category, viewer):
        raise NotFound("No such thread.")
    if thread.deleted_at is not None and not can_moderate(session, category, viewer):
        raise NotFound("No such thread.")
    return thread_channel(thread.id)


def resume_plan(session: Session, channels: list[str], last_event_id: int | None) -> ResumePlan:
    """Where a stream (already subscribed, so nothing newer can slip by) starts: right after the
    newest event when the browser brings no id; after its id, replaying what these channels
    missed, when the log still holds all of it; otherwise with a `reload`."""
    newest = live_log.newest_id(session)
    if last_event_id is None:
        return ResumePlan(start_id=newest)
    if not live_log.can_resume_from(session, last_event_id):
        return ResumePlan(start_id=newest, reload=True)
    backlog = live_log.read_after(session, last_event_id, channels=channels, limit=MAX_BACKLOG + 1)
    if len(backlog) > MAX_BACKLOG:
        return ResumePlan(start_id=newest, reload=True)
    return ResumePlan(start_id=last_event_id, backlog=backlog)
