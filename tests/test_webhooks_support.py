"""Helpers for webhook tests (no tests of its own): a real HTTP receiver on loopback, settings that
allow it, and a subscription made through the service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from portal.webhooks import services
from portal.webhooks.addresses import AddressPolicy, system_resolver

LOOPBACK = "127.0.0.0/8 ::1/128"
TEST_SECRET_KEY = "test-secret"  # conftest's SECRET_KEY


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers with the next queued
    (status, body, extra headers), else 200."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    answers: list[tuple[int, bytes, dict]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/partnermesh?source=test"

    def answer(self, status: int, body: bytes = b"", headers: dict | None = None, times: int = 1) -> None:
        self.answers.extend([(status, body, headers or {})] * times)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, answer, headers = receiver.answers.pop(0) if receiver.answers else (200, b"thanks", {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A Receiver serving in a thread for the length of the `with` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    result = Receiver(server)
    server.RequestHandlerClass = _handler(result)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield result
    server.shutdown()
    server.server_close()


def allow_loopback(config, monkeypatch, sender: str = "inline") -> None:
    """Settings for tests: loopback and http:// allowed, deliveries sent inline after commit."""
    monkeypatch.setitem(config, "WEBHOOKS_ALLOW_PRIVATE", LOOPBACK)
    monkeypatch.setitem(config, "WEBHOOKS_ALLOW_HTTP", True)
    monkeypatch.setitem(config, "WEBHOOKS_SENDER", sender)
    monkeypatch.setitem(config, "WEBHOOKS_CONNECT_TIMEOUT", 2.0)
    monkeypatch.setitem(config, "WEBHOOKS_READ_TIMEOUT", 2.0)


def loopback_policy() -> AddressPolicy:
    return AddressPolicy.from_config({"WEBHOOKS_ALLOW_PRIVATE": LOOPBACK, "WEBHOOKS_ALLOW_HTTP": True})


def subscribe(session, company, url: str, event_types, *, admin=None, resolver=system_resolver):
    """A subscription through the service (loopback allowed). Returns (subscription, secret)."""
    created = services.create_subscription(session, company.id, url=url, event_types=list(event_types),
                                           actor_person_id=admin.id if admin else None,
                                           secret_key=TEST_SECRET_KEY, policy=loopback_policy(), resolver=resolver)
    return created.subscription, created.secret
