"""Live updates over Server-Sent Events (GET /live/stream).

After each commit, `_on_commit` turns the events the stream cares about into rows of the live
event log (audiences.py decides who may hear what), then wakes this process's broker and rings
the other processes through the Redis event relay with a small "live.appended" message. The
relay's listener already exists in every process (portal/event_relay.py), so riding on it costs no
extra Redis connection or thread; each receiving process then reads the rows from the shared
database, in commit order, instead of trusting pub/sub (at most once) with the content — a lost
message only delays delivery until the next wake-up or a stream's periodic check.

`before_any_stream()` lets a data load that no open page can be waiting for (`portal demo`) skip
the log; see its docstring for when that holds.
"""

from __future__ import annotations

import atexit
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from flask import Flask, current_app

from portal import events
from portal.db import db, utcnow
from portal.realtime import log as live_log
from portal.realtime.audiences import HANDLERS, entries_for
from portal.realtime.broker import LiveBroker

logger = logging.getLogger(__name__)
APPENDED_EVENT = "live.appended"
PRUNE_EVERY_SECONDS = 60.0
# True inside `before_any_stream()`: this thread's commits write nothing to the live log.
_no_stream_can_listen: ContextVar[bool] = ContextVar("live_no_stream_can_listen", default=False)


def broker_of(app: Flask) -> LiveBroker:
    return app.extensions["live_broker"]


def _reader(app: Flask):
    def read_after(after_id: int) -> list[live_log.LiveRecord]:
        with app.app_context():
            session = db.new_session()
            try:
                return live_log.read_after(session, after_id)
            finally:
                session.close()

    def newest_id() -> int:
        with app.app_context():
            session = db.new_session()
            try:
                return live_log.newest_id(session)
            finally:
                session.close()

    return read_after, newest_id


@contextmanager
def before_any_stream() -> Iterator[None]:
    """Commits made inside this block by this thread — with the follow-up commits their after-commit
    handlers make, such as feed activities — write no rows to the live event log.

    A row of the log only ever reaches a stream that is open when it is written (a new stream
    starts after the newest row; a reconnecting one resumes after an id it was sent), and a stream
    needs a logged-in person. So the rows of a load are pointless when every person and thread
    they would be addressed to is created by the load itself: `portal demo` fills a portal that has
    no companies yet — usually before the server even starts (`make run`) — and its people, accounts,
    follows and threads come into being in its one commit, so no page can be listening for them.
    (Someone who had an account before and follows a tag the demo uses sees its threads on their
    next page load instead of live.) A ContextVar, not an app setting: commits of the server's
    request threads, if one runs in the same process, keep their live updates.
    """
    token = _no_stream_can_listen.set(True)
    try:
        yield
    finally:
        _no_stream_can_listen.reset(token)


def _on_commit(batch: list[dict]) -> None:
    """This process committed: log the live events, deliver them here, tell the other processes."""
    if _no_stream_can_listen.get() or not any(event.get("event") in HANDLERS for event in batch):
        return
    app = current_app._get_current_object()
    state = app.extensions.get("live_state")
    if state is None:
        return
    session = db.new_session()
    try:
        entries = entries_for(session, batch)
        # End the read before writing: on SQLite a transaction that read first cannot wait for the
        # write lock (another write since its snapshot fails it at once); one that starts by
        # writing waits its turn.
        session.rollback()
        records = live_log.append(session, entries)
        _prune_now_and_then(session, app, state)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    if not records:
        return
    broker_of(app).wake()
    relay = app.extensions.get("event_relay")
    if relay is not None:
        relay.publish([{"event": APPENDED_EVENT, "newest_id": records[-1].id}])


def _prune_now_and_then(session, app: Flask, state: dict) -> None:
    now = time.monotonic()
    if now - state["pruned_at"] < PRUNE_EVERY_SECONDS:
        return
    state["pruned_at"] = now
    live_log.prune(session, utcnow() - timedelta(seconds=app.config["LIVE_LOG_KEEP_SECONDS"]))


def _on_remote(batch: list[dict]) -> None:
    """Another process wrote live rows (or the relay reconnected and may have missed some)."""
    from portal.event_relay import GAP_EVENT

    if any(event.get("event") in (APPENDED_EVENT, GAP_EVENT) for event in batch):
        broker = current_app.extensions.get("live_broker")
        if broker is not None:
            broker.wake()


def init_app(app: Flask) -> None:
    """Create this app's broker and listen to commits (here and, through Redis, elsewhere)."""
    read_after, newest_id = _reader(app)
    broker = LiveBroker(read_after, newest_id,
                        max_streams=int(app.config["LIVE_MAX_STREAMS"]),
                        max_per_person=int(app.config["LIVE_MAX_STREAMS_PER_PERSON"]),
                        poll_seconds=float(app.config["LIVE_POLL_SECONDS"]))
    app.extensions["live_broker"] = broker
    app.extensions["live_state"] = {"pruned_at": time.monotonic()}
    events.subscribe_batch(_on_commit)
    events.subscribe_batch(_on_remote, remote=True)
    atexit.register(broker.close)
