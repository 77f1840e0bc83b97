"""Search for callers: one function per question, whatever the backend.

The backend lives on the app (`init_app`); services find it through the session's app, so
they stay free of Flask request state. After each commit the event handlers re-read the
changed records and update the index; a missing or damaged index is rebuilt in a
background thread while the search page says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.forums.access import viewer_scopes
from portal.forums.models import Post
from portal.profiles.visibility import Viewer
from portal.search.backend import Access, SearchBackend, SearchUnavailable
from portal.search.documents import COMPANY, PERSON, POST, THREAD, all_documents, doc_id, documents_for
from portal.search.query import Results, SearchQuery

log = logging.getLogger(__name__)
_rebuilds: dict[int, threading.Thread] = {}
_rebuild_guard = threading.Lock()


def backend_of(session: Session) -> SearchBackend:
    return session.info["flask_app"].extensions["portal_search"]


def access_for(session: Session, viewer: Viewer) -> Access:
    owners = set(viewer.connection_ids)
    if viewer.person_id is not None:
        owners.add(viewer.person_id)
    return Access(scopes=viewer_scopes(session, viewer), is_member=viewer.is_member,
                  sees_everything=viewer.is_ecosystem_admin, connection_owner_ids=frozenset(owners))


def search(session: Session, viewer: Viewer, query: SearchQuery) -> Results:
    """One page of results for this viewer. Raises SearchUnavailable while the index is rebuilt."""
    backend = backend_of(session)
    try:
        return backend.search(session, query, access_for(session, viewer))
    except SearchUnavailable:
        start_background_rebuild(session)
        raise


def similar_threads(session: Session, title: str, viewer: Viewer, limit: int = 5) -> list[dict]:
    """Threads that look like the one being written (title typed so far), readable by the viewer."""
    title = " ".join((title or "").split())[:200]
    if len(title) < 3:
        return []
    pairs = backend_of(session).similar_titles(session, title, access_for(session, viewer), limit)
    return [{"title": t, "url": url} for t, url in pairs]


def index_status(session: Session) -> str:
    return backend_of(session).status()


# --- keeping the index current --------------------------------------------------------------

def reindex_documents(session: Session, doc_ids: Iterable[str]) -> None:
    """Write fresh versions of these documents; remove those that should no longer be found."""
    doc_ids = list(dict.fromkeys(doc_ids))
    if not doc_ids:
        return
    backend = backend_of(session)
    docs, gone = documents_for(session, doc_ids)
    try:
        backend.index(session, docs)
        backend.delete(session, gone)
    except SearchUnavailable:
        start_background_rebuild(session)


def _thread_doc_ids(session: Session, thread_id: int) -> list[str]:
    post_ids = session.scalars(select(Post.id).where(Post.thread_id == thread_id, Post.number > 1))
    return [doc_id(THREAD, thread_id)] + [doc_id(POST, pid) for pid in post_ids]


def handle_events(session: Session, batch: list[dict]) -> None:
    """Map the events of one commit to the documents they change, and update those at once."""
    doc_ids: list[str] = []
    for event in batch:
        name = event["event"]
        if name == "forum.post.changed":
            doc_ids += [doc_id(POST, event["post_id"]), doc_id(THREAD, event["thread_id"])]
        elif name == "forum.thread.changed":
            doc_ids += _thread_doc_ids(session, event["thread_id"])
        elif name == "person.changed":
            doc_ids.append(doc_id(PERSON, event["person_id"]))
        elif name == "company.changed":
            doc_ids.append(doc_id(COMPANY, event["company_id"]))
        elif name == "tag.merged":
            # The merge's person.changed/company.changed events cover profiles and companies;
            # threads and replies that carried the old tag are found in the index itself.
            try:
                doc_ids += backend_of(session).doc_ids_with_tag(session, event["source_key"])
            except SearchUnavailable:
                pass  # the rebuild that follows reads every document anyway
    if doc_ids:
        backend = backend_of(session)
        status = backend.status()
        if status != "ready":
            backend.note_pending(doc_ids)  # a running rebuild may have read these before the change
            if status != "rebuilding":
                start_background_rebuild(session)
                return
        for start in range(0, len(doc_ids), 5000):
            reindex_documents(session, doc_ids[start:start + 5000])


def rebuild(session: Session, kinds: Counter | None = None) -> tuple[int, float]:
    """Rebuild the whole index from the database: (documents, seconds); `kinds` counts them by kind."""
    started = time.perf_counter()
    backend = backend_of(session)
    kinds = Counter() if kinds is None else kinds

    def counted():
        for doc in all_documents(session):
            kinds[doc.kind] += 1
            yield doc

    count = backend.rebuild(session, counted())
    session.commit()
    pending = backend.take_pending()
    if pending:
        reindex_documents(session, pending)
        session.commit()
    return count, time.perf_counter() - started


def start_background_rebuild(session: Session) -> None:
    """Rebuild in a thread of this process unless one is already running (here or elsewhere)."""
    app = session.info["flask_app"]
    backend = backend_of(session)
    if not app.config.get("SEARCH_BACKGROUND_REBUILD", True):
        # Tests share one database connection between sessions: no second thread may use it.
        rebuild(session)
        return
    with _rebuild_guard:
        running = _rebuilds.get(id(app))
        if (running is not None and running.is_alive()) or backend.status() == "rebuilding":
            return

        def work() -> None:
            from portal.db import db

            with app.app_context():
                own = db.new_session()
                try:
                    count, seconds = rebuild(own)
                    log.info("search index rebuilt: %d documents in %.1f s", count, seconds)
                except Exception:  # noqa: BLE001 - logged; the next search tries again
                    log.exception("search index rebuild failed")
                finally:
                    own.close()

        # Not a daemon: a command that committed (import, demo) exits only once the index is whole.
        thread = threading.Thread(target=work, name="search-rebuild")
        _rebuilds[id(app)] = thread
        thread.start()


def wait_for_rebuild(session: Session, timeout: float = 60.0) -> None:
    """Tests and the CLI wait for a background rebuild of this app to finish."""
    thread = _rebuilds.get(id(session.info["flask_app"]))
    if thread is not None:
        thread.join(timeout)
