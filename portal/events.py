"""In-process publish/subscribe for after-commit domain events.

Search indexing, feeds and the matching graph subscribe here. Handlers are attached in
`init_app` functions, never at import time. A handler's failure is logged and does not
affect the request that committed (its data is already safe in the database).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

Handler = Callable[[dict], None]
BatchHandler = Callable[[list[dict]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
_batch_handlers: list[BatchHandler] = []
# Batch handlers that also want other processes' commits (see portal/event_relay.py).
_remote_batch_handlers: list[BatchHandler] = []


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def subscribe_batch(handler: BatchHandler, *, remote: bool = False) -> None:
    """Receive all events of one commit at once (a bulk import commits thousands together:
    the search index writes them in one go instead of one by one).

    `remote=True`: also receive the batches other app processes committed, relayed through
    Redis when REDIS_URL is set — for state each process keeps in memory (the matching graph).
    """
    if handler not in _batch_handlers:
        _batch_handlers.append(handler)
    if remote and handler not in _remote_batch_handlers:
        _remote_batch_handlers.append(handler)


def unsubscribe_all() -> None:
    _handlers.clear()
    _batch_handlers.clear()
    _remote_batch_handlers.clear()


def publish_all(queued: list[tuple[str, dict]]) -> None:
    """Publish the events of one commit: each to its handlers, then all to batch handlers."""
    for name, payload in queued:
        publish(name, payload)
    batch = [{"event": name, **payload} for name, payload in queued]
    _run_batch(_batch_handlers, batch)
    relay = current_app.extensions.get("event_relay") if has_app_context() else None
    if relay is not None:
        relay.publish(batch)


def deliver_remote(batch: list[dict]) -> None:
    """Hand a batch another process committed to the handlers that asked for remote events."""
    _run_batch(_remote_batch_handlers, batch)


def _run_batch(handlers: list[BatchHandler], batch: list[dict]) -> None:
    for handler in list(handlers):
        try:
            handler(batch)
        except Exception:  # noqa: BLE001 - one bad subscriber must not break the others
            log.exception("batch event handler %r failed", handler)


def publish(name: str, payload: dict) -> None:
    for handler in list(_handlers.get(name, ())) + list(_handlers.get("*", ())):
        try:
            handler({"event": name, **payload})
        except Exception:  # noqa: BLE001 - one bad subscriber must not break the others
            log.exception("event handler %r failed for %s", handler, name)
