"""Full-text search over threads, replies, people and companies (Whoosh or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from portal import events


def init_app(app: Flask) -> None:
    """Pick the backend from SEARCH_BACKEND and keep it current from after-commit events."""
    choice = app.config.get("SEARCH_BACKEND", "whoosh")
    if choice == "postgres":
        from portal.search.postgres_backend import PostgresBackend

        if not app.config["DATABASE_URL"].startswith("postgresql"):
            raise RuntimeError("SEARCH_BACKEND=postgres needs DATABASE_URL to point at PostgreSQL.")
        backend = PostgresBackend()
    elif choice == "whoosh":
        from portal.search.whoosh_backend import WhooshBackend

        backend = WhooshBackend(app.config.get("SEARCH_INDEX_PATH") or Path(app.instance_path) / "search-index",
                                rebuild_memory_mb=int(app.config.get("SEARCH_REBUILD_MEMORY_MB", 1024)))
    else:
        raise RuntimeError(f"SEARCH_BACKEND must be 'whoosh' or 'postgres', not {choice!r}.")
    app.extensions["portal_search"] = backend
    events.subscribe_batch(_on_commit)


def _on_commit(batch: list[dict]) -> None:
    from portal.db import db
    from portal.search.services import handle_events

    session = db.new_session()
    try:
        handle_events(session, batch)
        session.commit()  # the PostgreSQL backend wrote its rows in this session
    finally:
        session.close()
