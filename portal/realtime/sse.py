"""The text/event-stream format (https://html.spec.whatwg.org/multipage/server-sent-events.html).

Each event is `id:`, `event:` and `data:` lines ended by a blank line; a line starting with ":"
is a comment (our heartbeat, which also makes a dead connection fail on write); `retry:` sets
the browser's reconnect delay; on reconnect it sends the last `id:` it saw as Last-Event-ID.
"""

from __future__ import annotations

import json


def format_event(event: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def frame(data: bytes, chunked: bool) -> bytes:
    """Bytes as one chunk of the HTTP/1.1 chunked body (RFC 9112 §7.1) the server began, or raw
    (an HTTP/1.0 response, whose body simply runs until the connection closes)."""
    return b"%X\r\n%s\r\n" % (len(data), data) if chunked else data
