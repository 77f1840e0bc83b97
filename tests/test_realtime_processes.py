"""Several app processes on one database: an event committed in one reaches a stream in another,
through Redis pub/sub (REDIS_URL) or, without Redis, through the streams' periodic look at the log."""

from __future__ import annotations

import random
import time
import uuid

import pytest
from sqlalchemy import delete

from portal import create_app
from portal.db import db, queue_event
from portal.realtime import broker_of
from portal.realtime.models import LiveEvent
from portal.realtime.stream import event_stream
from tests.test_scaleout import redis_url  # noqa: F401 - the fixture


def _peer(database_url, folder, **config):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(folder),
                       "SECRET_KEY": "x", "SEARCH_BACKGROUND_REBUILD": False, **config})


def _commit_notification(app, person_id: int) -> None:
    """What notify() leaves behind after commit, for someone in another process."""
    with app.app_context():
        session = db.new_session()
        queue_event(session, "notification.created", {"notification_id": 0, "person_id": person_id,
                                                      "kind": "mention"})
        session.commit()
        session.close()


@pytest.fixture
def person_id(database_url, tmp_path):
    """A person id nobody else uses; its log rows are removed afterwards (these apps commit for real)."""
    pid = random.randint(10**8, 10**9)
    yield pid
    cleaner = _peer(database_url, tmp_path / "cleaner")
    with cleaner.app_context():
        db.session.execute(delete(LiveEvent).where(LiveEvent.channel == f"person:{pid}"))
        db.commit()


@pytest.fixture
def two_processes(redis_url, database_url, tmp_path):  # noqa: F811
    channel = f"test-live-{uuid.uuid4().hex}"
    apps = [_peer(database_url, tmp_path / name, REDIS_URL=redis_url, EVENT_RELAY_CHANNEL=channel,
                  LIVE_POLL_SECONDS=0) for name in ("first", "second")]
    for app in apps:
        assert app.extensions["event_relay"].wait_connected()
    yield apps
    for app in apps:
        app.extensions["event_relay"].stop()
        broker_of(app).close()


def test_an_event_committed_in_one_process_reaches_a_stream_in_another(two_processes, person_id):
    first, second = two_processes
    broker = broker_of(second)
    broker.start_cursor()
    subscriber = broker.subscribe(person_id, [f"person:{person_id}"])
    stream = event_stream(broker, subscriber, start_id=broker.start_cursor(), backlog=[], reload=False,
                          retry_ms=1000, heartbeat_seconds=5, max_seconds=30)
    next(stream)
    started = time.monotonic()
    _commit_notification(first, person_id)
    chunk = next(stream)  # the relay woke the second process, which read the row from the log
    assert "event: notifications" in chunk and '"unread":0' in chunk
    assert time.monotonic() - started < 2
    stream.close()
    assert broker.stream_count == 0


def test_without_redis_a_stream_catches_up_from_the_log(database_url, tmp_path, person_id):
    first = _peer(database_url, tmp_path / "first")
    second = _peer(database_url, tmp_path / "second", LIVE_POLL_SECONDS=0.2)
    broker = broker_of(second)
    broker.start_cursor()
    subscriber = broker.subscribe(person_id, [f"person:{person_id}"])
    stream = event_stream(broker, subscriber, start_id=broker.start_cursor(), backlog=[], reload=False,
                          retry_ms=1000, heartbeat_seconds=0.1, max_seconds=30)
    next(stream)
    _commit_notification(first, person_id)
    chunks = [next(stream) for _ in range(6)]  # heartbeats; one of them finds the log has grown
    assert any("event: notifications" in chunk for chunk in chunks)
    stream.close()
