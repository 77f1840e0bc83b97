"""Several app processes behind one Redis: rate limits count across processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import redis

from tests.conftest import service_missing

SERVE = """
import sys
from werkzeug.serving import run_simple
from portal import create_app
app = create_app({"WTF_CSRF_ENABLED": False})
run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"server on port {port} did not start")


def _post_login(port: int) -> int:
    data = urllib.parse.urlencode({"email": "nobody@example.com", "password": "wrong-password-1"}).encode()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", data=data, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def redis_url():
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        service_missing("Redis (PORTAL_TEST_REDIS_URL)")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        service_missing(f"Redis at {url}")
    return url


def test_login_rate_limit_is_shared_by_two_processes(redis_url, database_url, tmp_path):
    """Ten failed logins spread over two processes exhaust one shared budget."""
    env = dict(os.environ, REDIS_URL=redis_url, DATABASE_URL=database_url, PORTAL_INSTANCE_PATH=str(tmp_path),
               SECRET_KEY="shared", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    ports = [_free_port(), _free_port()]
    processes = [subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    try:
        for port in ports:
            _wait_until_up(port)
        statuses = [_post_login(ports[i % 2]) for i in range(10)]
        assert 429 not in statuses
        assert _post_login(ports[0]) == 429
        assert _post_login(ports[1]) == 429
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
