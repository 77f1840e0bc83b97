"""Several app processes: a commit in one reaches the in-memory state of the others through Redis."""

from __future__ import annotations

import time
import uuid

import pytest
from flask import current_app

from portal import create_app, events
from portal.db import db, queue_event
from portal.event_relay import GAP_EVENT
from tests.test_scaleout import redis_url  # noqa: F401 - the fixture


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def two_peers(redis_url, database_url, tmp_path):  # noqa: F811
    channel = f"test-events-{uuid.uuid4().hex}"
    peers = []
    for name in ("first", "second"):
        peer = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / name),
                           "SECRET_KEY": "x", "REDIS_URL": redis_url, "EVENT_RELAY_CHANNEL": channel,
                           "SEARCH_BACKGROUND_REBUILD": False, "PEER_NAME": name})
        assert peer.extensions["event_relay"].wait_connected()
        peers.append(peer)
    received: list[tuple[str, str]] = []

    def remember(batch: list[dict]) -> None:
        received.extend((current_app.config.get("PEER_NAME", "?"), event["event"]) for event in batch)

    events.subscribe_batch(remember, remote=True)
    yield peers, received
    for peer in peers:
        peer.extensions["event_relay"].stop()
    events._batch_handlers.remove(remember)
    events._remote_batch_handlers.remove(remember)


def test_a_commit_in_one_process_reaches_the_other(two_peers):
    (first, _second), received = two_peers
    with first.app_context():
        session = db.new_session()
        queue_event(session, "test.relayed", {"value": 1})
        session.commit()
        session.close()
    # The committing process handled it locally; the other heard it through Redis, once.
    assert ("first", "test.relayed") in received
    assert _wait_for(lambda: ("second", "test.relayed") in received)
    time.sleep(0.2)
    assert received.count(("second", "test.relayed")) == 1
    assert received.count(("first", "test.relayed")) == 1


def test_a_rolled_back_change_is_not_relayed(two_peers):
    (first, _second), received = two_peers
    with first.app_context():
        session = db.new_session()
        queue_event(session, "test.rolled-back", {})
        session.rollback()
        queue_event(session, "test.committed", {})
        session.commit()
        session.close()
    assert _wait_for(lambda: ("second", "test.committed") in received)
    assert not [r for r in received if r[1] == "test.rolled-back"]


def test_a_malformed_message_is_ignored(two_peers):
    (first, second), received = two_peers
    relay = second.extensions["event_relay"]
    relay._client.publish(relay.channel, b"not json")
    relay._client.publish(relay.channel, b'{"origin": "x", "events": [1, {"no": "name"}]}')
    with first.app_context():
        session = db.new_session()
        queue_event(session, "test.after-garbage", {})
        session.commit()
        session.close()
    assert _wait_for(lambda: ("second", "test.after-garbage") in received)


def test_reconnecting_tells_handlers_that_events_may_be_lost(redis_url, database_url, tmp_path):  # noqa: F811
    seen: list[str] = []

    def remember(batch: list[dict]) -> None:
        seen.extend(event["event"] for event in batch)

    events.subscribe_batch(remember, remote=True)
    try:
        peer = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path),
                           "SECRET_KEY": "x", "REDIS_URL": redis_url, "SEARCH_BACKGROUND_REBUILD": False,
                           "EVENT_RELAY_CHANNEL": f"test-events-{uuid.uuid4().hex}"})
        assert _wait_for(lambda: GAP_EVENT in seen)
        peer.extensions["event_relay"].stop()
    finally:
        events._batch_handlers.remove(remember)
        events._remote_batch_handlers.remove(remember)
