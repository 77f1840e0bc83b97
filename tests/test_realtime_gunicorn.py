"""Live streams served by gunicorn with gunicorn.conf.py, as in production: the stream writer sends
events on the server's own connections (chunked on HTTP/1.1, raw on HTTP/1.0) and SIGTERM ends
every stream with a complete response."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from portal import create_app
from portal.db import db, utcnow
from portal.migrate import scratch_postgres_database, upgrade
from tests.conftest import _postgres_url
from tests.test_realtime_writer import _read_until

ROOT = Path(__file__).resolve().parent.parent
SECRET = "gunicorn-test-secret"  # noqa: S105 - signs this test's own session cookies


@pytest.fixture(scope="module")
def ecosystem(tmp_path_factory):
    """Its own database (the server commits for real): a thread and two members' session cookies."""
    from portal.auth.models import User
    from portal.forums import services as forums
    from portal.profiles.services import create_person

    folder = tmp_path_factory.mktemp("gunicorn")
    drop = None
    url = _postgres_url()
    if url is None:
        url = f"sqlite:///{folder / 'live.db'}"
    else:
        url, drop = scratch_postgres_database(url, "portal_test_gunicorn")
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "setup"), "SECRET_KEY": SECRET,
                      "SEARCH_BACKGROUND_REBUILD": False})
    with app.app_context():
        people = []
        for n in range(2):
            user = User(email=f"stream{n}@example.com", password_hash="!",  # noqa: S106 - no password login
                        email_verified_at=utcnow())
            db.session.add(user)
            db.session.flush()
            people.append((user, create_person(db.session, f"Stream Reader {n}", email=user.email, user_id=user.id)))
        category = forums.create_category(db.session, "General")
        thread = forums.create_thread(db.session, category, people[0][1].id, "Live over gunicorn", "First post")
        db.commit()
        with app.test_request_context():
            serializer = app.session_interface.get_signing_serializer(app)
            cookies = [serializer.dumps({"_user_id": user.get_id(), "_fresh": True}) for user, _ in people]
        yield {"url": url, "folder": folder, "thread_id": thread.id, "cookies": cookies}
    if drop is not None:
        drop()


@pytest.fixture
def server(ecosystem, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=ecosystem["url"], PORTAL_INSTANCE_PATH=str(tmp_path / "server"),
               SECRET_KEY=SECRET, LIVE_MAX_STREAMS="20", LIVE_HEARTBEAT_SECONDS="0.5", PORTAL_RATELIMIT="0",
               MATCHING_REBUILD_SECONDS="0", REDIS_URL="")
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
                                "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/live/stream", timeout=5).status_code == 401:
                    break
            except requests.RequestException:  # not listening yet, or still starting its worker
                pass
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        yield base, process
    finally:  # also when it never came up: no server outlives its test
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def _events(lines) -> list[str]:
    """Event names off a decoded stream until its end."""
    return [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]


def _open_http10(base: str, path: str, cookie: str) -> socket.socket:
    host = base.removeprefix("http://")
    address, port = host.split(":")
    sock = socket.create_connection((address, int(port)), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\nCookie: session={cookie}\r\n\r\n".encode())
    return sock


def _reply_through_the_form(base: str, thread_id: int, cookie: str, text: str) -> None:
    web = requests.Session()
    web.cookies.set("session", cookie, domain="127.0.0.1")
    page = web.get(f"{base}/forums/t/{thread_id}", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = web.post(f"{base}/forums/t/{thread_id}/reply", data={"csrf_token": token, "body": text},
                      allow_redirects=False, timeout=10)
    assert answer.status_code == 302


def test_a_reply_reaches_streams_over_http_1_1_and_1_0(ecosystem, server):
    base, _process = server
    path = f"/live/stream?thread={ecosystem['thread_id']}"
    chunked = requests.get(base + path, cookies={"session": ecosystem["cookies"][1]}, stream=True, timeout=10)
    assert chunked.status_code == 200 and chunked.headers["Transfer-Encoding"] == "chunked"
    lines = chunked.iter_lines(decode_unicode=True)
    assert "event: ready" in [next(lines) for _ in range(3)]
    assert ": keep-alive" in [next(lines) for _ in range(3)]  # idle: the writer's heartbeat (0.5 s here)
    raw = _open_http10(base, path, ecosystem["cookies"][1])
    assert _read_until(raw, b"event: ready").startswith(b"HTTP/1.0 200")

    _reply_through_the_form(base, ecosystem["thread_id"], ecosystem["cookies"][0], "Seen live?")
    received = []
    for line in lines:  # urllib3 decodes the chunks: a framing mistake raises here
        received.append(line)
        if line.startswith("data:") and "post_id" in line:
            break
    assert "event: post" in received
    unframed = _read_until(raw, b'"post_id"')
    assert b"event: post\ndata: {\"thread_id\"" in unframed
    assert b"\r\n" not in unframed  # no chunk sizes: an HTTP/1.0 body is the events as they are
    raw.close()
    chunked.close()


def test_sigterm_ends_every_stream_with_a_complete_response(ecosystem, server):
    base, process = server
    path = f"/live/stream?thread={ecosystem['thread_id']}"
    streams = [requests.get(base + path, cookies={"session": cookie}, stream=True, timeout=10)
               for cookie in ecosystem["cookies"]]
    readers = [stream.iter_lines(decode_unicode=True) for stream in streams]
    for lines in readers:
        assert "event: ready" in [next(lines) for _ in range(3)]
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    for lines in readers:
        list(lines)  # ends without ChunkedEncodingError: the server sent the last chunk
    assert time.monotonic() - started < 10
    assert process.wait(timeout=30) == 0
