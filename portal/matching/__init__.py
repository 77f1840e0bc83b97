"""The matching engine: who should meet whom, and which companies should partner.

`graph_of(app)` is the app's MatchingGraph (graph.py), built from the database on first use in
each process and kept current from after-commit events (updates.py); recommend.py scores
candidates on it, reasons.py explains them, services.py is what other features call.

Several app processes. Each process keeps its own graph in memory and current from the event
stream: events of its own commits arrive in-process; events committed by other processes arrive
through Redis when REDIS_URL is set (portal/event_relay.py relays them; the graph subscribes
with remote=True). Every handler is idempotent — it
re-reads the touched rows rather than applying deltas — so an event delivered twice or late does
no harm. What the stream can miss (a process that was down, a Redis outage — the relay then sends an
`events.gap` event on reconnection, which starts a background rebuild —, a change made by SQL
by hand, a role change that emits no event) is repaired by a rebuild: at start (first use), every
MATCHING_REBUILD_SECONDS in a background thread while the old graph keeps serving (events that
arrive meanwhile are replayed onto the new graph), and on demand with `portal matching rebuild`.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

from flask import Flask, current_app

from portal import events

log = logging.getLogger(__name__)
FULL_REBUILD_ABOVE = 5000  # posts touched by one commit (a bulk import): rebuilding is faster


class GraphHolder:
    """One app's graph: built lazily, updated by events, swapped whole by a rebuild."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.graph = None
        self._build_lock = threading.Lock()
        self._rebuilding = False
        self._replay: list[list[dict]] = []
        self._replay_lock = threading.Lock()

    @property
    def cache_enabled(self) -> bool:
        # Tests roll every transaction back: a graph kept from one test would show the next one
        # people who no longer exist. They build a fresh graph per use unless they opt in.
        return self.app.config.get("MATCHING_CACHE_GRAPH", not self.app.config.get("TESTING", False))

    def get(self, session=None):
        """The current graph, built now if this process has none yet."""
        if not self.cache_enabled:
            return self._build(session)
        graph = self.graph
        if graph is None:
            with self._build_lock:
                if self.graph is None:
                    self.graph = self._build(session)
                    self._settle(replaced=False)
                graph = self.graph
        elif self._stale(graph):
            self.rebuild_in_background()
        return graph

    def _stale(self, graph) -> bool:
        every = float(self.app.config.get("MATCHING_REBUILD_SECONDS", 6 * 3600))
        return every > 0 and time.time() - graph.created_monotonic > every and not self._rebuilding

    def _new_session(self):
        from portal.db import db

        with self.app.app_context():  # works from threads and from code outside a request
            return db.new_session()

    def _build(self, session=None):
        from portal.matching.sources import build_graph

        half_life = float(self.app.config.get("MATCHING_HALF_LIFE_DAYS", 180))
        # A graph is millions of small containers: with the collector on, building one runs it
        # dozens of times over everything built so far (a fifth of a 100k-people build).
        collecting = gc.isenabled() and self.cache_enabled
        if collecting:
            gc.disable()
        try:
            if session is not None:
                return build_graph(session, half_life_days=half_life)
            own = self._new_session()
            try:
                return build_graph(own, half_life_days=half_life)
            finally:
                own.close()
        finally:
            if collecting:
                gc.enable()

    @staticmethod
    def _settle(replaced: bool) -> None:
        """Keep the long-lived graph out of the collector's full passes (0.5 s at 100k people,
        paid by whichever request triggers one): gc.freeze() moves what exists now to a permanent
        generation. A replaced graph has reference cycles (NetworkX views), so unfreeze first to
        let one collection free it."""
        if replaced:
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    def rebuild(self):
        """Build a new graph and swap it in; events that arrived meanwhile are applied to it too."""
        with self._replay_lock:
            self._rebuilding = True
            self._replay = []
        try:
            graph = self._build()
            with self._replay_lock:
                pending, self._replay, self._rebuilding = self._replay, [], False
                for batch in pending:
                    self._apply(graph, batch)
                replaced = self.graph is not None
                self.graph = graph
            if self.cache_enabled:
                self._settle(replaced)
            return graph
        except Exception:
            self._rebuilding = False
            raise

    def rebuild_in_background(self) -> None:
        if self._rebuilding:
            return
        self._rebuilding = True
        app = self.app

        def run() -> None:
            with app.app_context():
                try:
                    graph = self.rebuild()
                    log.info("matching graph rebuilt: %s in %.1f s", graph.counts(), graph.build_seconds)
                except Exception:  # noqa: BLE001 - the old graph keeps serving
                    log.exception("matching graph rebuild failed")

        threading.Thread(target=run, name="matching-rebuild", daemon=True).start()

    def on_commit(self, batch: list[dict]) -> None:
        from portal.event_relay import GAP_EVENT
        from portal.matching.updates import GRAPH_EVENTS

        if any(event.get("event") == GAP_EVENT for event in batch):
            # Events from other processes may have been lost (Redis was unreachable): start over.
            if self.graph is not None and self.cache_enabled:
                self.rebuild_in_background()
            return
        batch = [event for event in batch if event.get("event") in GRAPH_EVENTS]
        if not batch:
            return
        with self._replay_lock:
            if self._rebuilding:
                self._replay.append(batch)
        graph = self.graph
        if graph is None or not self.cache_enabled:
            return  # built later from the database, which already has these changes
        self._apply(graph, batch)

    def _apply(self, graph, batch: list[dict]) -> None:
        from portal.matching.updates import touched_from

        touched = touched_from(batch)
        if not touched:
            return
        if touched.size() > FULL_REBUILD_ABOVE:
            self.rebuild_in_background()
            return
        session = self._new_session()
        try:
            graph.apply_events(batch, session)
        finally:
            session.close()


def graph_of(app: Flask):
    """The app's MatchingGraph (built on first use)."""
    return app.extensions["matching"].get()


def current_graph(session=None):
    """The current app's graph; services call this (the graph is per app, like the search index).
    Outside an app context (jobs, tests) the session's app is used, as db.py does for events."""
    from flask import has_app_context

    if has_app_context():
        app = current_app
    elif session is not None and "flask_app" in session.info:
        app = session.info["flask_app"]
    else:
        raise RuntimeError("no app: call inside an app context or pass a session made by portal.db")
    return app.extensions["matching"].get(session)


def _on_commit(batch: list[dict]) -> None:
    holder = current_app.extensions.get("matching")
    if holder is None:
        return
    try:
        holder.on_commit(batch)
    except Exception:  # noqa: BLE001 - the change is committed; a rebuild repairs the graph
        log.exception("updating the matching graph failed; `portal matching rebuild` repairs it")


def init_app(app: Flask) -> None:
    """Keep one graph per app current after each commit; template helpers for recommendations."""
    from portal.matching import views

    app.extensions["matching"] = GraphHolder(app)
    events.subscribe_batch(_on_commit, remote=True)
    views.init_app(app)
