"""One open stream: what it sends from its first line to its end."""

from __future__ import annotations

import time
from collections.abc import Iterator

from portal.realtime.broker import LiveBroker, Subscriber
from portal.realtime.log import LiveRecord
from portal.realtime.sse import format_event

RELOAD = "reload"  # the page is behind in a way events cannot repair: fetch it again


def format_record(record: LiveRecord) -> str:
    return record.sse


def event_stream(broker: LiveBroker, subscriber: Subscriber, *, start_id: int, backlog: list[LiveRecord],
                 reload: bool, retry_ms: int, heartbeat_seconds: float, max_seconds: float) -> Iterator[str]:
    """Yield the stream: the reconnect delay and a `ready` event carrying the id to resume from,
    the missed events (or `reload`), then each batch of new events as it arrives. Ends on
    shutdown, when the client falls too far behind, or after `max_seconds` (the browser then
    reconnects with Last-Event-ID, which keeps long-lived connections from piling up in proxies)."""
    last_sent = max([start_id] + [record.id for record in backlog])
    try:
        opening = f"retry: {int(retry_ms)}\n" + format_event("ready", {}, start_id)
        opening += format_event(RELOAD, {}) if reload else "".join(format_record(r) for r in backlog)
        yield opening
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            records = subscriber.get(timeout=heartbeat_seconds)
            if subscriber.closed:
                return
            if subscriber.overflowed:
                yield format_event(RELOAD, {})
                return
            fresh = [record for record in records if record.id > last_sent]
            if not fresh:
                yield ": keep-alive\n\n"
                broker.wake_if_stale()
                continue
            last_sent = fresh[-1].id
            yield "".join(format_record(record) for record in fresh)
    finally:
        broker.unsubscribe(subscriber)
