"""The stream writer over real sockets (socket pairs): framing, slow and vanished clients, deadlines."""

from __future__ import annotations

import socket
import time

import pytest

from portal.realtime.broker import LiveBroker
from portal.realtime.sse import format_event
from portal.realtime.writer import StreamWriter
from tests.test_realtime_broker import FakeLog


@pytest.fixture
def live():
    log = FakeLog()
    broker = LiveBroker(log.read_after, log.newest_id, max_streams=10, max_per_person=10, max_queue=50,
                        poll_seconds=0)
    broker.start_cursor()
    yield log, broker
    broker.close()


@pytest.fixture
def pairs():
    made = []

    def pair() -> tuple[socket.socket, socket.socket]:
        server, client = socket.socketpair()
        client.settimeout(5)
        made.extend([server, client])
        return server, client

    yield pair
    for sock in made:
        sock.close()


def _adopt(broker, subscriber, sock, *, chunked=True, last_sent=0, seconds=30.0, heartbeat=30.0):
    return broker.writer.adopt(subscriber, sock, chunked=chunked, last_sent=last_sent,
                               deadline=time.monotonic() + seconds, heartbeat_seconds=heartbeat)


def _read_until(client: socket.socket, wanted: bytes) -> bytes:
    received = b""
    while wanted not in received:
        data = client.recv(65536)
        assert data, f"connection closed; got {received!r}"
        received += data
    return received


def _dechunk(body: bytes) -> bytes:
    """Decode an HTTP/1.1 chunked body strictly: a framing mistake fails here as in a browser."""
    out = b""
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        out += body[:size]
        assert body[size:size + 2] == b"\r\n"
        body = body[size + 2:]
    return out


def test_each_event_goes_out_as_one_http_chunk_and_in_order(live, pairs):
    log, broker = live
    ann = broker.subscribe(1, ["thread:9"])
    server, client = pairs()
    # Queued before the socket was handed over: sent by the writer, except what the opening had.
    log.add("thread:9", post_id=1)
    log.add("thread:9", post_id=2)
    broker.wake()
    stream = _adopt(broker, ann, server, last_sent=1)
    log.add("thread:9", post_id=3)
    broker.wake()
    received = _dechunk(_read_until(client, b'"post_id":3}\n\n\r\n'))
    assert received == (format_event("post", {"post_id": 2}, 2) + format_event("post", {"post_id": 3}, 3)).encode()
    assert not stream.returned.is_set()


def test_an_http_1_0_stream_gets_the_events_unframed(live, pairs):
    log, broker = live
    ben = broker.subscribe(2, ["person:2"])
    server, client = pairs()
    _adopt(broker, ben, server, chunked=False)
    log.add("person:2", "notifications", unread=4)
    broker.wake()
    assert _read_until(client, b"\n\n") == format_event("notifications", {"unread": 4}, 1).encode()


def test_a_client_that_stops_reading_is_cut_off_and_the_others_still_get_everything(live, pairs):
    log, broker = live
    broker.writer = StreamWriter(max_pending=64 * 1024)
    stuck_server, _stuck_client = pairs()
    stuck_server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    stuck = _adopt(broker, broker.subscribe(1, ["thread:9"]), stuck_server)
    reader_server, reader_client = pairs()
    _adopt(broker, broker.subscribe(2, ["thread:9"]), reader_server)
    for n in range(40):
        log.add("thread:9", text="x" * 8000, n=n)
        broker.wake()
        _read_until(reader_client, f'"n":{n}}}'.encode())
    assert stuck.returned.wait(5) and stuck.broken
    assert broker.writer.stream_count == 1


def test_idle_streams_get_heartbeats_and_are_handed_back_at_their_deadline(live, pairs):
    _log, broker = live
    server, client = pairs()
    stream = _adopt(broker, broker.subscribe(1, ["person:1"]), server, seconds=2.5, heartbeat=0.5)
    assert _dechunk(_read_until(client, b"keep-alive\n\n\r\n")) == b": keep-alive\n\n"
    assert stream.returned.wait(5)
    assert not stream.broken  # the server may end the response normally
    server.sendall(b"0\r\n\r\n")  # as gunicorn then does: the socket is usable again


def test_a_vanished_client_is_noticed_by_the_next_heartbeat(live, pairs):
    _log, broker = live
    server, client = pairs()
    stream = _adopt(broker, broker.subscribe(1, ["person:1"]), server, heartbeat=0.2)
    client.close()
    assert stream.returned.wait(5) and stream.broken


def test_shutdown_hands_every_socket_back_at_once(live, pairs):
    _log, broker = live
    streams = [_adopt(broker, broker.subscribe(n, [f"person:{n}"]), pairs()[0]) for n in range(3)]
    started = time.monotonic()
    broker.close()
    assert all(stream.returned.wait(5) for stream in streams)
    assert time.monotonic() - started < 1
    assert not any(stream.broken for stream in streams)
