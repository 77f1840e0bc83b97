"""In-process publish/subscribe for after-commit domain events.

Search indexing, feeds and the matching graph subscribe here. Handlers are attached in
`init_app` functions, never at import time. A handler's failure is logged and does not
affect the request that committed (its data is already safe in the database).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

log = logging.getLogger(__name__)

Handler = Callable[[dict], None]
BatchHandler = Callable[[list[dict]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
_batch_handlers: list[BatchHandler] = []


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def subscribe_batch(handler: BatchHandler) -> None:
    """Receive all events of one commit at once (a bulk import commits thousands together:
    the search index writes them in one go instead of one by one)."""
    if handler not in _batch_handlers:
        _batch_handlers.append(handler)


def unsubscribe_all() -> None:
    _handlers.clear()
    _batch_handlers.clear()


def publish_all(queued: list[tuple[str, dict]]) -> None:
    """Publish the events of one commit: each to its handlers, then all to batch handlers."""
    for name, payload in queued:
        publish(name, payload)
    if _batch_handlers:
        batch = [{"event": name, **payload} for name, payload in queued]
        for handler in list(_batch_handlers):
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
