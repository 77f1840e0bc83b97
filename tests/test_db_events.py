"""After-commit events: they fire once the real transaction commits, never on a SAVEPOINT release."""

from __future__ import annotations

from portal import events
from portal.db import queue_event


def test_savepoint_release_keeps_events_until_the_real_commit(session):
    seen: list[dict] = []
    events.subscribe("test.savepoint", seen.append)
    try:
        queue_event(session, "test.savepoint", {"n": 1})
        with session.begin_nested():
            queue_event(session, "test.savepoint", {"n": 2})
        assert seen == []  # the outer transaction may still roll back
        session.commit()
        assert [event["n"] for event in seen] == [1, 2]
    finally:
        events._handlers.pop("test.savepoint", None)


def test_rolled_back_transaction_drops_events_queued_inside_a_savepoint(session):
    seen: list[dict] = []
    events.subscribe("test.savepoint", seen.append)
    try:
        with session.begin_nested():
            queue_event(session, "test.savepoint", {"n": 1})
        session.rollback()
        session.commit()
        assert seen == []
    finally:
        events._handlers.pop("test.savepoint", None)
