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
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe_all() -> None:
    _handlers.clear()


def publish(name: str, payload: dict) -> None:
    for handler in list(_handlers.get(name, ())) + list(_handlers.get("*", ())):
        try:
            handler({"event": name, **payload})
        except Exception:  # noqa: BLE001 - one bad subscriber must not break the others
            log.exception("event handler %r failed for %s", handler, name)
