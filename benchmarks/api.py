"""Integration API read throughput: GET profile, company and thread (with its first page of posts)
on one app process, with a member system's bearer token.

Usage: .venv/bin/python benchmarks/api.py [--seconds 10] [--connections 8] [--database-url URL]
                                          [--server gunicorn|werkzeug] [--load wrk|python]

The portal is served by one process on loopback: gunicorn with one gthread worker (4 threads)
when gunicorn is installed, else werkzeug's threaded server. Load comes from wrk when it is on
the PATH (Debian package `wrk`), else from a Python load generator (threads with keep-alive
connections). Every request is a real API call: token verified (signature, revocation row,
client, audience), scope checked, rate limit counted (a limit high enough not to trigger),
response built and ETag computed. Numbers depend on the machine and its load: the script prints
the load average next to them.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "api-bench-secret"  # noqa: S105 - the benchmark app's throwaway SECRET_KEY


def _setup(app) -> tuple[str, dict]:
    """A company with an admin, a thread of 20 posts and a member system; returns a token and paths."""
    from portal.auth.provider.clients import register_client
    from portal.db import db
    from portal.forums import services as forums
    from tests.test_companies_support import make_company, make_user

    with app.app_context():
        session = db.session
        _user, person = make_user(session, name="Bench Admin", bio="Integrations lead", headline="APIs")
        company = make_company(session, person, name="Bench Company", description="We integrate things.")
        category = forums.create_category(session, "Integrations", visibility="public")
        thread = forums.create_thread(session, category, person.id, "Price list API", "How do you publish prices?")
        for n in range(19):
            forums.reply(session, thread, person.id, f"Reply number {n} with a few words about price lists.")
        client, secret = register_client(
            session, name="Bench ERP", owner_company_id=company.id, redirect_uris=[],
            grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_basic",  # noqa: S106
            scopes=["api.read"], audience=app.config["SERVER_NAME_FOR_MAIL"].rstrip("/") + "/api/v1")
        db.commit()
        paths = {"profile": f"/api/v1/people/{person.slug}", "company": f"/api/v1/companies/{company.slug}",
                 "thread": f"/api/v1/threads/{thread.id}",
                 "thread posts": f"/api/v1/threads/{thread.id}/posts?limit=20"}
        http = app.test_client()
        basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
        response = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                             headers={"Authorization": "Basic " + basic})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["access_token"], paths


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(kind: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    if kind == "gunicorn":
        command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", "1", "--worker-class", "gthread",
                   "--threads", "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    else:
        command = [sys.executable, "-c", "from werkzeug.serving import run_simple; from wsgi import app; "
                   f"run_simple('127.0.0.1', {port}, app, threaded=True)"]
    # The server's log goes to a file: a pipe nobody reads would fill up and stall the server.
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the server did not start:\n" + log.read_text()[-2000:]) from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def _in_process(app, paths: dict, token: str, requests: int = 300) -> None:
    """CPU time per request through the app itself (Flask test client, no network): less
    sensitive to other processes on the machine than wall-clock throughput."""
    http = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for name, path in paths.items():
        for _ in range(20):
            http.get(path, headers=headers)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(requests):
            assert http.get(path, headers=headers).status_code == 200
        cpu, wall = (time.process_time() - cpu) / requests, (time.perf_counter() - wall) / requests
        print(f"in-process GET {name:14s} {cpu * 1000:6.2f} ms CPU per request (~{1 / cpu:5.0f} req/s per core), "
              f"wall {wall * 1000:6.2f} ms")


def _warm_up(port: int, paths: dict, token: str) -> None:
    """Wait until the worker answers (gunicorn's master accepts connections before its worker has
    built the app), then send each URL a few times (caches, prepared statements)."""
    deadline = time.time() + 120
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for path in paths.values():
                for _ in range(20):
                    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        raise SystemExit(f"GET {path}: {response.status}")
            return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def _wrk(url: str, token: str, seconds: int, connections: int) -> tuple[float, str]:
    output = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-H", f"Authorization: Bearer {token}", url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+(\S+)", output).group(1)
    p99 = re.search(r"99%\s+(\S+)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    note = f"p50 {p50:>8s}  p99 {p99:>8s}" + (f"  NON-2xx: {errors.group(1)}" if errors else "")
    return rate, note


def _python_load(port: int, path: str, token: str, seconds: int, connections: int) -> tuple[float, str]:
    durations: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop:
            start = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                failures[0] += 1
        with lock:
            durations.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(durations)
    note = (f"p50 {statistics.median(ordered) * 1000:6.2f}ms  p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:6.2f}ms"
            + (f"  NON-200: {failures[0]}" if failures[0] else ""))
    return len(durations) / elapsed, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"),
                        default="gunicorn" if Path(sys.executable).with_name("gunicorn").exists() else "werkzeug")
    parser.add_argument("--load", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    args = parser.parse_args()

    from portal import create_app
    from portal.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="api-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    settings = {"DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(folder), "SECRET_KEY": SECRET,
                "PORTAL_API_RATELIMIT": "10000000 per minute", "PORTAL_DEV_OUTBOX": "0", "SMTP_HOST": ""}
    os.environ.update(settings)
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": SECRET, "SMTP_HOST": ""})
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    token, paths = _setup(app)
    port = _free_port()
    server = _start_server(args.server, port, {**os.environ, **settings}, folder / "server.log")
    try:
        _warm_up(port, paths, token)
        print(f"database: {url.split(':', 1)[0]}; server: {args.server} (one process); load: {args.load}, "
              f"{args.connections} connections, {args.seconds} s per URL; load average before: "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
        for name, path in paths.items():
            if args.load == "wrk":
                rate, note = _wrk(f"http://127.0.0.1:{port}{path}", token, args.seconds, args.connections)
            else:
                rate, note = _python_load(port, path, token, args.seconds, args.connections)
            print(f"GET {name:14s} {rate:8.0f} req/s   {note}")
        _in_process(app, paths, token)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
