"""Outgoing webhooks: what recording deliveries adds to a commit, and how fast they are sent.

Usage: .venv/bin/python benchmarks/webhooks.py [--commits 300] [--deliveries 1000] [--database-url URL]

1. Commit cost: a member system posts a status into company A's feed (feeds.record_activity +
   commit), `--commits` times, with A subscribed by 0, 1 and 5 endpoints to "activity.posted".
   With 0 the before_commit listener runs one indexed query; with subscribers it also reads the
   activity and writes one delivery row per endpoint, in the same transaction.
2. Sending: `--deliveries` pings to an HTTP server on loopback that answers 200 at once, sent by
   deliver_due in one sender, then by two senders at once (threads with their own sessions, as two
   processes would be): every message must arrive exactly once.
Runs on a fresh SQLite file by default, or on the PostgreSQL database given with --database-url.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Counter(BaseHTTPRequestHandler):
    received: list[str] = []
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.lock:
            self.received.append(self.headers["webhook-id"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"mean {statistics.mean(values) * 1000:6.2f} ms   p50 {ordered[len(ordered) // 2] * 1000:6.2f} ms"
            f"   p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:6.2f} ms")


def commit_cost(app, company, url: str, commits: int) -> None:
    from portal.db import db
    from portal.feeds.services import record_activity
    from portal.webhooks import services
    from portal.webhooks.addresses import AddressPolicy

    policy = AddressPolicy.from_config(app.config)
    subscribed = 0
    for wanted in (0, 1, 5):
        with app.app_context():
            session = db.new_session()
            while subscribed < wanted:
                services.create_subscription(session, company.id, url=url, event_types=["activity.posted"],
                                             secret_key=app.config["SECRET_KEY"], policy=policy)
                subscribed += 1
            session.commit()
            durations = []
            for n in range(commits + 20):
                start = time.perf_counter()
                record_activity(session, verb="status.update", title=f"Price list v{n} published", url="",
                                targets=[], company_id=company.id, actor_client_id="erp")
                session.commit()
                if n >= 20:  # the first ones warm caches and prepared statements
                    durations.append(time.perf_counter() - start)
            if wanted == 5:  # their deliveries are not part of the sending measurements
                for subscription in services.subscriptions_of(session, company.id):
                    services.delete_subscription(session, company.id, subscription.id)
                session.commit()
            session.close()
        print(f"activity + commit, {wanted} endpoint(s) subscribed      {_ms(durations)}")


def sending(app, company, url: str, count: int, senders: int, received: list[str]) -> None:
    from portal.db import db
    from portal.webhooks import services
    from portal.webhooks.addresses import AddressPolicy
    from portal.webhooks.delivery import DeliverySettings, deliver_due

    with app.app_context():
        session = db.new_session()
        subscription = services.create_subscription(
            session, company.id, url=url, event_types=["partnership.started"], secret_key=app.config["SECRET_KEY"],
            policy=AddressPolicy.from_config(app.config)).subscription
        session.commit()
        for _ in range(count):
            services.send_ping(session, company.id, subscription.id)
        session.commit()
        session.close()
    received.clear()
    settings = DeliverySettings.from_config(app.config)

    def run() -> None:
        with app.app_context():
            own = db.new_session()
            while deliver_due(own, settings).delivered:
                pass
            own.close()

    threads = [threading.Thread(target=run) for _ in range(senders)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    duplicates = len(received) - len(set(received))
    print(f"sending {count} deliveries, {senders} sender(s): {count / elapsed:7.0f} deliveries/s "
          f"({elapsed * 1000 / count:5.2f} ms each); received {len(set(received))}, duplicates {duplicates}")
    assert len(set(received)) == count and duplicates == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    import logging

    from portal import create_app
    from portal.db import db
    from portal.migrate import upgrade
    from tests.test_companies_support import make_company, make_user

    folder = Path(tempfile.mkdtemp(prefix="webhooks-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    os.environ.setdefault("PORTAL_INSTANCE_PATH", str(folder))
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench-secret",
                      "RATELIMIT_ENABLED": False, "SMTP_HOST": "", "WEBHOOKS_SENDER": "off",
                      "WEBHOOKS_ALLOW_PRIVATE": "127.0.0.0/8", "WEBHOOKS_ALLOW_HTTP": True})
    logging.getLogger().setLevel(logging.WARNING)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/hook"
    with app.app_context():
        session = db.session
        _, admin = make_user(session, name="Bench Admin")
        company = make_company(session, admin, name="Bench Company")
        _, other_admin = make_user(session, name="Other Admin")
        other = make_company(session, other_admin, name="Other Company")
        db.commit()
    print(f"database: {url.split(':', 1)[0]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    commit_cost(app, company, endpoint, args.commits)
    sending(app, other, endpoint, args.deliveries, 1, Counter.received)
    sending(app, other, endpoint, args.deliveries, 2, Counter.received)
    server.shutdown()


if __name__ == "__main__":
    main()
