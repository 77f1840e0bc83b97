"""Live updates: N concurrent SSE subscribers on one app process, one event, how fast it reaches them.

Usage: .venv/bin/python benchmarks/live.py [--subscribers 1000] [--rounds 20] [--database-url URL]
                                           [--redis-url URL]
       (WEB_CONCURRENCY=2 … --redis-url URL: the streams spread over two worker processes)

Serves the portal with gunicorn and the settings of gunicorn.conf.py (one gthread worker), on a
fresh SQLite file by default or on the PostgreSQL database given (its tables are created by the
migration; use a scratch database). N members each open GET /live/stream?thread=ID on one thread
(N different people, as N browsers would; one epoll loop in this process reads them all, and the
replies come from a separate process so that they never hold up that loop).
Then, each round, a member replies:
- without --redis-url, through the web form of the same server (POST /forums/t/ID/reply): the time
  runs from sending the POST, so it includes rendering and committing the reply;
- with --redis-url, committed by a second app process on the same database: the server hears of
  it through Redis; the time runs from just before the commit.
Per subscriber and round: the delay until its stream delivered the post, from the POST (or the
commit) and, to separate the fan-out from the reply's own work, from the moment the live event was
logged (live_events.created_at, the same machine's clock). Target (issue 6): p99 < 200 ms for N = 1000.
With a PostgreSQL URL, a scratch database is created beside the one given and dropped at the end.
Finally the server is stopped with SIGTERM and the time until every stream
was closed is reported (streams end cleanly instead of waiting out gunicorn's graceful timeout).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "live-benchmark-secret"  # noqa: S105 - signs the benchmark's own session cookies


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup(app, subscribers: int):
    """N members, a public thread; returns (thread id, the author's cookie, every member's cookie)."""
    from portal.auth.models import User
    from portal.db import db, utcnow
    from portal.forums import services as forums
    from portal.profiles.services import create_person

    with app.app_context():
        session = db.session
        users = []
        for n in range(subscribers + 1):
            user = User(email=f"live{n}@bench.example", password_hash="!",  # noqa: S106 - no password login
                        email_verified_at=utcnow())
            session.add(user)
            session.flush()
            create_person(session, f"Live Member {n}", email=user.email, user_id=user.id)
            users.append(user)
        session.flush()
        category = forums.create_category(session, "Benchmarks")
        author = users[0]
        from portal.profiles.services import person_for_user

        author_person = person_for_user(session, author.id)
        thread = forums.create_thread(session, category, author_person.id, "Live benchmark", "First post")
        db.commit()
        with app.test_request_context():
            serializer = app.session_interface.get_signing_serializer(app)
            cookies = [serializer.dumps({"_user_id": user.get_id(), "_fresh": True}) for user in users]
        return thread.id, author_person.id, cookies[0], cookies[1:]


def _start_server(port: int, env: dict, log_file: Path) -> subprocess.Popen:
    command = [str(ROOT / ".venv/bin/gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}"]
    with log_file.open("wb") as log:  # a file, not a pipe: nobody reads the server's log meanwhile
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited:\n" + log_file.read_text()[-3000:]) from None
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _rss_mb(master_pid: int) -> float:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        if f"\nPPid:\t{master_pid}\n" in status or entry == str(master_pid):
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return total / 1024


def _warm_up(port: int, thread_id: int, cookie: str) -> None:
    """Wait until the fresh server answers pages quickly (it builds its search index first)."""
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = time.perf_counter()
        requests.get(f"http://127.0.0.1:{port}/forums/t/{thread_id}", cookies={"session": cookie}, timeout=60)
        if time.perf_counter() - started < 0.5:
            return
        time.sleep(1)



def _logged_at(app, thread_id: int) -> float:
    """When the newest event of the thread's channel was written to the live log (epoch seconds)."""
    from datetime import UTC

    from sqlalchemy import select

    from portal.db import db
    from portal.realtime.models import LiveEvent

    with app.app_context():
        session = db.new_session()
        try:
            created = session.scalar(select(LiveEvent.created_at).where(LiveEvent.channel == f"thread:{thread_id}")
                                     .order_by(LiveEvent.id.desc()).limit(1))
        finally:
            session.close()
    return created.replace(tzinfo=UTC).timestamp()


class Subscriber:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""
        self.arrivals: list[float] = []
        self.closed_at: float | None = None


def _open_stream(port: int, path: str, cookie: str) -> Subscriber:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                  f"Cookie: session={cookie}\r\nConnection: keep-alive\r\n\r\n").encode())
    received = b""
    while b"event: ready" not in received:
        data = sock.recv(65536)
        if not data:
            raise SystemExit(f"stream closed before it started: {received[:200]!r}")
        received += data
    if not received.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"stream refused: {received[:200]!r}")
    sock.setblocking(False)
    return Subscriber(sock)


def _listen(subscribers: list[Subscriber], until, timeout: float) -> None:
    """One epoll loop over every stream (a client as cheap as possible, so that what is measured
    is the server): note the moment each `post` event arrives, or the stream ends."""
    poller = selectors.DefaultSelector()
    for subscriber in subscribers:
        if subscriber.closed_at is None:
            poller.register(subscriber.sock, selectors.EVENT_READ, subscriber)
    deadline = time.perf_counter() + timeout
    try:
        while not until() and time.perf_counter() < deadline:
            for key, _mask in poller.select(timeout=0.05):
                subscriber = key.data
                try:
                    data = subscriber.sock.recv(65536)
                except BlockingIOError:
                    continue
                now = time.perf_counter()
                if not data:
                    subscriber.closed_at = now
                    poller.unregister(subscriber.sock)
                    continue
                buffer = subscriber.buffer + data
                subscriber.arrivals.extend([now] * buffer.count(b"event: post"))
                subscriber.buffer = buffer[-16:]
    finally:
        poller.close()


def _reply_over_http(port: int, thread_id: int, cookie: str, text: str) -> tuple[float, float]:
    """Post a reply through the web form; returns when the POST was sent and how long it took."""
    import requests

    web = requests.Session()
    web.cookies.set("session", cookie, domain="127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    page = web.get(f"{base}/forums/t/{thread_id}").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    started = time.perf_counter()
    response = web.post(f"{base}/forums/t/{thread_id}/reply", data={"csrf_token": token.group(1), "body": text},
                        allow_redirects=False)
    if response.status_code != 302:
        raise SystemExit(f"reply failed: {response.status_code}")
    return started, time.perf_counter() - started


def _replier(connection, database_url: str, redis_url: str, folder: str, port: int, thread_id: int,
             author_id: int, cookie: str) -> None:
    """A separate process that writes the replies (time.perf_counter is the system's monotonic
    clock, the same in every process): over HTTP, or committed by its own app relayed by Redis."""
    sys.path.insert(0, str(ROOT))
    app = None
    if redis_url:
        from portal import create_app

        app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": folder, "SECRET_KEY": SECRET,
                          "SEARCH_BACKGROUND_REBUILD": False, "REDIS_URL": redis_url})
        app.extensions["event_relay"].wait_connected()
    connection.send("ready")
    while (text := connection.recv()) is not None:
        if app is None:
            connection.send(_reply_over_http(port, thread_id, cookie, text))
            continue
        from portal.db import db
        from portal.forums import services as forums
        from portal.forums.models import Thread

        with app.app_context():
            session = db.new_session()
            forums.reply(session, session.get(Thread, thread_id), author_id, text)
            started = time.perf_counter()
            session.commit()
            session.close()
        connection.send((started, time.perf_counter() - started))


def _run(args, port: int, path: str, cookies: list[str], replier, server, app, thread_id: int) -> dict:
    started = time.perf_counter()
    wall_offset = time.time() - time.perf_counter()  # perf_counter → epoch seconds
    opening: list[float] = []

    def open_one(cookie: str) -> Subscriber:
        begun = time.perf_counter()
        subscriber = _open_stream(port, path, cookie)
        opening.append(time.perf_counter() - begun)
        return subscriber

    with ThreadPoolExecutor(max_workers=32) as pool:
        subscribers = list(pool.map(open_one, cookies))
    connect_seconds = time.perf_counter() - started
    print(f"opening one stream: p50 {statistics.median(opening) * 1000:.0f} ms, max {max(opening) * 1000:.0f} ms")
    _listen(subscribers, lambda: False, 1.0)  # heartbeats and leftovers
    rss = _rss_mb(server.pid)
    # One reply first, not measured: the replier's first commit opens its search index and the like.
    replier.send("Warm-up")
    _listen(subscribers, lambda: all(s.arrivals for s in subscribers), 10.0)
    replier.recv()
    _listen(subscribers, lambda: False, 0.5)
    for subscriber in subscribers:
        subscriber.arrivals.clear()
    latencies: list[float] = []
    from_log: list[float] = []
    spreads: list[float] = []
    answers: list[float] = []
    for round_number in range(args.rounds):
        replier.send(f"Round {round_number}")
        want = round_number + 1
        _listen(subscribers, lambda w=want: all(len(s.arrivals) >= w for s in subscribers), 10.0)
        sent, answered = replier.recv()
        answers.append(answered)
        arrived = [s.arrivals[round_number] for s in subscribers if len(s.arrivals) > round_number]
        latencies += [at - sent for at in arrived]
        logged = _logged_at(app, thread_id) - wall_offset
        from_log += [at - logged for at in arrived]
        if arrived:
            spreads.append(max(arrived) - min(arrived))
        if len(arrived) < len(subscribers):
            print(f"round {round_number}: {len(subscribers) - len(arrived)} streams got nothing within 10 s")
        _listen(subscribers, lambda: False, 0.5)
    stop = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    _listen(subscribers, lambda: all(s.closed_at is not None for s in subscribers), 30.0)
    closed = [s.closed_at - stop for s in subscribers if s.closed_at is not None]
    for subscriber in subscribers:
        subscriber.sock.close()
    return {"connect_seconds": connect_seconds, "rss_mb": rss, "latencies": latencies, "from_log": from_log,
            "closed": closed,
            "spreads": spreads, "answers": answers, "subscribers": len(subscribers)}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    args = parser.parse_args()

    from portal import create_app
    from portal.config import normalize_database_url
    from portal.migrate import scratch_postgres_database, upgrade

    folder = Path(tempfile.mkdtemp(prefix="live-bench-"))
    drop = None
    if args.database_url:
        url, drop = scratch_postgres_database(normalize_database_url(args.database_url), "live_bench")
    else:
        url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    # The server's own instance folder: the setup's commits build the search index there (synchronously),
    # as `portal demo` or an import does before a real server starts. A server without one rebuilds
    # it in a background thread on its first commit, which competed with the first measured round.
    setup_app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "server"), "SECRET_KEY": SECRET,
                            "SEARCH_BACKGROUND_REBUILD": False, "REDIS_URL": args.redis_url})
    made = time.perf_counter()
    thread_id, author_id, author_cookie, cookies = _setup(setup_app, args.subscribers)
    print(f"{args.subscribers} members and a thread made in {time.perf_counter() - made:.1f} s")

    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, PORTAL_INSTANCE_PATH=str(folder / "server"), SECRET_KEY=SECRET,
               LIVE_MAX_STREAMS=str(args.subscribers), PORTAL_RATELIMIT="0", REDIS_URL=args.redis_url,
               MATCHING_REBUILD_SECONDS="0")
    server = _start_server(port, env, folder / "gunicorn.log")
    _warm_up(port, thread_id, author_cookie)
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    replier = multiprocessing.get_context("spawn").Process(
        target=_replier, args=(theirs, url, args.redis_url, str(folder / "replier"), port, thread_id, author_id,
                               author_cookie), daemon=True)
    replier.start()
    ours.recv()
    try:
        result = _run(args, port, f"/live/stream?{urlencode({'thread': thread_id})}", cookies, ours, server,
                      setup_app, thread_id)
    finally:
        ours.send(None)
        replier.join(timeout=10)
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if drop is not None:
            drop()

    latencies = [value * 1000 for value in result["latencies"]]
    how = "committed in another process, relayed by Redis" if args.redis_url else "posted through the web form"
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    workers = os.environ.get("WEB_CONCURRENCY", "1")
    print(f"gunicorn gthread, {workers} worker(s), {backend}; {result['subscribers']} open streams "
          f"(opened in {result['connect_seconds']:.1f} s), server RSS {result['rss_mb']:.0f} MB")
    if latencies:
        print(f"one reply ({how}) → every stream, {args.rounds} rounds, {len(latencies)} deliveries: "
              f"p50 {statistics.median(latencies):.0f} ms, p99 {_percentile(latencies, 0.99):.0f} ms, "
              f"max {max(latencies):.0f} ms (target p99 < 200 ms)")
        logged = [value * 1000 for value in result["from_log"]]
        print(f"from the live event's logging → every stream: p50 {statistics.median(logged):.0f} ms, "
              f"p99 {_percentile(logged, 0.99):.0f} ms, max {max(logged):.0f} ms")
    what = "the reply's commit took" if args.redis_url else "the reply's POST answered in"
    print(f"{what} p50 {statistics.median(result['answers']) * 1000:.0f} ms")
    spreads = result["spreads"]
    if spreads:
        print(f"first to last stream of a round: p50 {statistics.median(spreads) * 1000:.0f} ms, "
              f"max {max(spreads) * 1000:.0f} ms")
        print("first to last stream, round by round (ms):", " ".join(f"{value * 1000:.0f}" for value in spreads))
    closed = result["closed"]
    if closed:
        print(f"SIGTERM: {len(closed)} of {result['subscribers']} streams closed by the server within "
              f"{max(closed):.2f} s")
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
