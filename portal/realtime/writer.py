"""One thread per process that writes every adopted live stream's events straight to its socket.

Waking a thousand stream threads for one event costs a thousand GIL hand-offs and a thousand
trips through the WSGI server's write path (~0.2 ms each: 1,000 streams took ~250 ms from first to
last, benchmarks/live.py). Under gunicorn, a stream instead hands its socket to this writer once
its headers and opening events are out: the writer sends each event's pre-framed bytes to every
socket that should hear it, with non-blocking sends, in one loop. The stream's own thread stays
parked until the writer gives the socket back (deadline, shutdown, client gone), then returns and
lets the server end the response as usual.

A client that reads slower than events come gets its bytes buffered here up to `max_pending`;
beyond that its connection is cut, and the browser reconnects with Last-Event-ID (resuming, or
reloading when too far behind), so a stuck client never holds up anyone else.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from portal.realtime.sse import format_event, frame

if TYPE_CHECKING:
    from portal.realtime.broker import Subscriber

log = logging.getLogger(__name__)

KEEP_ALIVE = b": keep-alive\n\n"
RELOAD = format_event("reload", {}).encode()
TICK_SECONDS = 1.0  # how often deadlines and heartbeats are looked at


@dataclass(eq=False)
class AdoptedStream:
    """A stream whose socket the writer owns until `returned` is set."""

    subscriber: Subscriber
    sock: socket.socket
    chunked: bool
    last_sent: int  # the newest event id already sent (the opening's backlog)
    deadline: float  # monotonic: end the stream then (the browser reconnects)
    heartbeat_seconds: float
    pending: bytearray = field(default_factory=bytearray)
    last_write: float = field(default_factory=time.monotonic)
    ending: bool = False  # send what is pending, then give the socket back
    broken: bool = False  # the connection is dead or hopeless: the server must not write more
    returned: threading.Event = field(default_factory=threading.Event)


class StreamWriter:
    def __init__(self, *, max_pending: int = 256 * 1024) -> None:
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._incoming: set[AdoptedStream] = set()  # adopted or with new events since the last round
        self._streams: set[AdoptedStream] = set()  # the writer thread's own
        self._selector: selectors.BaseSelector | None = None
        self._doorbell: socket.socket | None = None  # written to wake the writer's select
        self._thread: threading.Thread | None = None
        self._rounds_asked = 0
        self._rounds_done = 0
        self._round_done = threading.Condition()

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    def adopt(self, subscriber: Subscriber, sock: socket.socket, *, chunked: bool, last_sent: int,
              deadline: float, heartbeat_seconds: float) -> AdoptedStream:
        """Take over writing to `sock`: events queued for `subscriber` from now on (and any waiting
        in its queue already) go out from the writer thread."""
        stream = AdoptedStream(subscriber, sock, chunked, last_sent, deadline, heartbeat_seconds)
        self._start()
        subscriber.adopted = stream
        self.ready([stream])
        return stream

    def ready(self, streams) -> int:
        """These streams have events waiting (or were adopted, or their subscriber closed).
        Returns the writer round that will have sent them (see `wait_for_round`)."""
        with self._lock:
            self._incoming.update(streams)
            self._rounds_asked += 1
            ticket = self._rounds_asked
        self._ring()
        return ticket

    def wait_for_round(self, ticket: int, timeout: float) -> bool:
        """Block until the writer has been through the streams `ready` returned `ticket` for.

        The thread that hands over an event (a request's after-commit work, the Redis listener)
        would otherwise go on with CPU-bound work at once, and every send the writer makes
        releases the GIL to it: winning it back costs up to the interpreter's 5 ms switch
        interval each time, which spread one event over 1,000 streams across ~100 ms."""
        with self._round_done:
            return self._round_done.wait_for(lambda: self._rounds_done >= ticket, timeout)

    def _ring(self) -> None:
        try:
            self._doorbell.send(b"\0", socket.MSG_DONTWAIT)
        except (BlockingIOError, OSError):
            pass  # already rung, and not yet answered: one ring is enough

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._selector = selectors.DefaultSelector()
            self._doorbell, bell = socket.socketpair()
            bell.setblocking(False)
            self._selector.register(bell, selectors.EVENT_READ, None)
            self._thread = threading.Thread(target=self._run, args=(bell,), name="live-writer", daemon=True)
            self._thread.start()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the writer thread ----------------------------------------------------------------------

    def _run(self, bell: socket.socket) -> None:
        next_tick = time.monotonic() + TICK_SECONDS
        while True:
            try:
                timeout = max(0.0, next_tick - time.monotonic())
                for key, _mask in self._selector.select(timeout):
                    if key.data is None:
                        _drain(bell)
                    else:
                        self._flush(key.data)
                with self._lock:
                    incoming, self._incoming = self._incoming, set()
                    asked = self._rounds_asked
                try:
                    for stream in incoming:
                        if not stream.returned.is_set():
                            self._streams.add(stream)
                            self._deliver(stream)
                finally:
                    with self._round_done:
                        self._rounds_done = asked
                        self._round_done.notify_all()
                now = time.monotonic()
                if now >= next_tick:
                    next_tick = now + TICK_SECONDS
                    self._tick(now)
            except Exception:  # noqa: BLE001 - one bad stream must not stop every other's events
                log.exception("live stream writer failed a round")

    def _deliver(self, stream: AdoptedStream) -> None:
        subscriber = stream.subscriber
        records = subscriber.take()
        fresh = [record for record in records if record.id > stream.last_sent]
        if fresh:
            stream.last_sent = fresh[-1].id
            self._send(stream, b"".join(record.frame(stream.chunked) for record in fresh))
        if subscriber.overflowed:
            self._send(stream, frame(RELOAD, stream.chunked))
            self._end(stream)
        elif subscriber.closed:
            self._end(stream)

    def _tick(self, now: float) -> None:
        for stream in list(self._streams):
            if stream.ending:
                if now >= stream.deadline + stream.heartbeat_seconds:
                    self._give_back(stream, broken=True)  # it never took what was pending
            elif stream.subscriber.closed or now >= stream.deadline:
                stream.deadline = min(stream.deadline, now)
                self._end(stream)
            elif now - stream.last_write >= stream.heartbeat_seconds:
                # Also how a closed connection is noticed: the send fails.
                self._send(stream, frame(KEEP_ALIVE, stream.chunked))

    def _send(self, stream: AdoptedStream, data: bytes) -> None:
        if stream.returned.is_set():
            return
        if stream.pending:
            stream.pending += data
            if len(stream.pending) > self._max_pending:
                self._give_back(stream, broken=True)
            return
        try:
            sent = stream.sock.send(data, socket.MSG_DONTWAIT)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._give_back(stream, broken=True)
            return
        stream.last_write = time.monotonic()
        if sent < len(data):
            stream.pending += data[sent:]
            self._selector.register(stream.sock, selectors.EVENT_WRITE, stream)

    def _flush(self, stream: AdoptedStream) -> None:
        try:
            sent = stream.sock.send(stream.pending, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            self._give_back(stream, broken=True)
            return
        del stream.pending[:sent]
        stream.last_write = time.monotonic()
        if not stream.pending:
            self._selector.unregister(stream.sock)
            if stream.ending:
                self._give_back(stream)

    def _end(self, stream: AdoptedStream) -> None:
        """Give the socket back once what is pending is sent (the server then ends the body)."""
        if stream.pending:
            stream.ending = True
        else:
            self._give_back(stream)

    def _give_back(self, stream: AdoptedStream, *, broken: bool = False) -> None:
        if stream.pending:
            self._selector.unregister(stream.sock)
            stream.pending.clear()
        if broken:
            stream.broken = True
            try:  # the server's own closing write then fails at once instead of blocking
                stream.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._streams.discard(stream)
        stream.returned.set()


def _drain(bell: socket.socket) -> None:
    try:
        while bell.recv(4096):
            pass
    except (BlockingIOError, OSError):
        pass
