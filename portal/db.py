"""The one place that creates the engine and sessions.

A request (or a CLI command) gets one session, opened lazily and closed on teardown;
whatever was not committed is rolled back. Services flush, never commit: the view or
command that owns the unit of work calls `commit()`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from portal import events

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN instead.
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that reads, then writes after another connection committed, fails at
    # once with "database is locked" (WAL snapshot; the busy timeout does not apply). Sessions
    # that are known to write begin IMMEDIATE instead: they wait for the lock, then see fresh data.
    # https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".rstrip())


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine with the settings each backend needs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine


def attach_event_dispatch(factory: sessionmaker) -> None:
    """Fire queued domain events only once the transaction that caused them has committed."""

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        # Releasing a SAVEPOINT (Session.begin_nested) fires after_commit too; the outer
        # transaction may still roll back, so its events wait for the real commit.
        if session.in_nested_transaction():
            return
        queued = session.info.pop("pending_events", [])
        if not queued:
            return
        if has_app_context():
            events.publish_all(queued)
            return
        # Sessions made outside a request (jobs, tests) still hand events to their app.
        with session.info["flask_app"].app_context():
            events.publish_all(queued)

    # after_soft_rollback also fires when nothing had reached the database yet (a service queued
    # an event, then raised before any flush): the queued events must go with the change.
    @event.listens_for(factory, "after_soft_rollback")
    def _after_rollback(session: Session, previous_transaction) -> None:
        if not previous_transaction.nested:
            session.info.pop("pending_events", None)


class _AppDatabase:
    """Engine and session factory of one app (kept in app.extensions)."""

    def __init__(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False, info={"flask_app": app})
        attach_event_dispatch(self.sessionmaker)
        writer_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self.writer_sessionmaker = sessionmaker(bind=writer_engine, expire_on_commit=False, info={"flask_app": app})
        attach_event_dispatch(self.writer_sessionmaker)


class Database:
    """Access to the current app's engine and its per-request session.

    State lives on the app, not on this object, so that several apps (tests with a live
    server, two portal instances federating) can share one process.
    """

    def init_app(self, app: Flask) -> None:
        app.extensions["portal_db"] = _AppDatabase(app)
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _state() -> _AppDatabase:
        return current_app.extensions["portal_db"]

    @property
    def engine(self) -> Engine:
        return self._state().engine

    def bind_to(self, connection: Any) -> None:
        """Tests: run every session inside one outer transaction that is rolled back."""
        for factory in (self._state().sessionmaker, self._state().writer_sessionmaker):
            factory.configure(bind=connection, join_transaction_mode="create_savepoint")

    def new_session(self, *, writes: bool = False) -> Session:
        """A session outside the request's unit of work (background jobs, CLI loops).

        `writes=True` for a job that reads and then writes (after-commit handlers): on SQLite its
        transactions take the write lock when they begin, so a concurrent commit cannot fail them.
        """
        state = self._state()
        return state.writer_sessionmaker() if writes else state.sessionmaker()

    @property
    def session(self) -> Session:
        """The current request's (or command's) session."""
        if "db_session" not in g:
            g.db_session = self._state().sessionmaker()
        return g.db_session

    def commit(self) -> None:
        self.session.commit()

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()


def pending_events(session: Session) -> list[tuple[str, dict]]:
    """The events queued in `session`'s open transaction (read-only view, for before-commit listeners)."""
    return list(session.info.get("pending_events", ()))


def queue_event(session: Session, name: str, payload: dict) -> None:
    """Queue an event that fires after `session` commits (and is dropped on rollback)."""
    if not session.in_transaction():
        session.begin()  # no connection yet; it makes a rollback before any flush drop the event too
    session.info.setdefault("pending_events", []).append((name, payload))
