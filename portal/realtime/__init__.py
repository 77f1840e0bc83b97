"""Live updates over Server-Sent Events (GET /live/stream).

After each commit, `_on_commit` turns the events the stream cares about into rows of the live
event log (audiences.py decides who may hear what), then wakes this process's broker and rings
the other processes through the Redis event relay with a small "live.appended" message. The
relay's listener already exists in every process (portal/event_relay.py), so riding on it costs no
extra Redis connection or thread; each receiving process then reads the rows from the shared
database, in commit order, instead of trusting pub/sub (at most once) with the content — a lost
message only delays delivery until the next wake-up or a stream's periodic check.
"""

from __future__ import annotations

import atexit
import logging
import time
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


def _on_commit(batch: list[dict]) -> None:
    """This process committed: log the live events, deliver them here, tell the other processes."""
    if not any(event.get("event") in HANDLERS for event in batch):
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
