"""After-commit events: they fire once the real transaction commits, never on a SAVEPOINT release."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal import events
from portal.db import make_engine, queue_event


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


def test_a_writer_session_on_sqlite_waits_for_the_lock_instead_of_failing(tmp_path):
    """A job that reads, then writes after someone else committed, must not lose its write."""
    engine = make_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")

    def read_then_write(session: Session) -> None:
        session.execute(text("SELECT n FROM counter")).scalar_one()
        with engine.begin() as other:  # someone else commits meanwhile
            other.exec_driver_sql("UPDATE counter SET n = n + 1")
        session.execute(text("UPDATE counter SET n = n + 10"))
        session.commit()

    with Session(engine) as deferred, pytest.raises(OperationalError, match="locked"):
        read_then_write(deferred)

    writer = Session(engine.execution_options(sqlite_begin="IMMEDIATE"))
    writer.execute(text("SELECT 1"))
    writer.commit()
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
    # The writer holds the lock from its first statement: the other commit waits for it (busy timeout).
    def other_commit() -> None:
        with engine.begin() as other:
            other.exec_driver_sql("UPDATE counter SET n = n + 1")

    writer.execute(text("SELECT n FROM counter")).scalar_one()
    thread = threading.Thread(target=other_commit)
    thread.start()
    writer.execute(text("UPDATE counter SET n = n + 10"))
    writer.commit()
    thread.join(timeout=10)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == before + 11
    engine.dispose()
