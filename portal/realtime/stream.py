"""One open stream: what it sends from its first line to its end."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

from portal.realtime.broker import LiveBroker, Subscriber
from portal.realtime.log import LiveRecord
from portal.realtime.sse import format_event

RELOAD = "reload"  # the page is behind in a way events cannot repair: fetch it again


def format_record(record: LiveRecord) -> str:
    return record.sse


@dataclass(frozen=True)
class ServerSocket:
    """The client connection under the response, when the server lets the app write to it: the
    body's framing is then the app's to follow (chunked for HTTP/1.1)."""

    sock: socket.socket
    chunked: bool


def server_socket(environ: dict) -> ServerSocket | None:
    """gunicorn's plain-TCP HTTP/1.x connection, which it hands the app as `gunicorn.socket` and
    writes the body to itself, chunked on HTTP/1.1. Anything else (TLS, HTTP/2, a HEAD request,
    another server) keeps the WSGI path."""
    sock = environ.get("gunicorn.socket")
    protocol = environ.get("SERVER_PROTOCOL")
    if type(sock) is not socket.socket or environ.get("REQUEST_METHOD") != "GET":
        return None
    if not str(environ.get("SERVER_SOFTWARE", "")).startswith("gunicorn"):
        return None
    if protocol not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    return ServerSocket(sock, chunked=protocol == "HTTP/1.1")


def event_stream(broker: LiveBroker, subscriber: Subscriber, *, start_id: int, backlog: list[LiveRecord],
                 reload: bool, retry_ms: int, heartbeat_seconds: float, max_seconds: float,
                 direct: ServerSocket | None = None) -> Iterator[str]:
    """Yield the stream: the reconnect delay and a `ready` event carrying the id to resume from,
    the missed events (or `reload`), then each batch of new events as it arrives. Ends on
    shutdown, when the client falls too far behind, or after `max_seconds` (the browser then
    reconnects with Last-Event-ID, which keeps long-lived connections from piling up in proxies).

    With `direct`, everything after the opening is written by the broker's StreamWriter; this
    thread waits for it to give the socket back."""
    last_sent = max([start_id] + [record.id for record in backlog])
    try:
        opening = f"retry: {int(retry_ms)}\n" + format_event("ready", {}, start_id)
        opening += format_event(RELOAD, {}) if reload else "".join(format_record(r) for r in backlog)
        yield opening
        deadline = time.monotonic() + max_seconds
        if direct is not None:
            # The server wrote the headers and the opening before asking for more: the socket is ours.
            _wait_for_writer(broker, subscriber, direct, last_sent, deadline, heartbeat_seconds)
            return
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


def _wait_for_writer(broker: LiveBroker, subscriber: Subscriber, direct: ServerSocket, last_sent: int,
                     deadline: float, heartbeat_seconds: float) -> None:
    stream = broker.writer.adopt(subscriber, direct.sock, chunked=direct.chunked, last_sent=last_sent,
                                 deadline=deadline, heartbeat_seconds=heartbeat_seconds)
    while not stream.returned.wait(heartbeat_seconds):
        broker.wake_if_stale()
        if not broker.writer.is_running():
            return  # never expected (the writer survives its errors), but never hang a thread on it
