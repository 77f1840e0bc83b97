"""Server time of the profile and directory pages with the demo ecosystem loaded.

Usage: .venv/bin/python benchmarks/pages.py [--requests 500] [--database-url URL]

Loads the demo ecosystem into a fresh database (a temporary SQLite file unless
--database-url is given), then times requests through the WSGI app in-process — the
server's own time, without network or browser. Prints p50/p95/max per page and viewer.
Target (issue 2): p95 under 25 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def load_demo(env: dict) -> float:
    started = time.perf_counter()
    portal = str(ROOT / ".venv" / "bin" / "portal")
    subprocess.run([portal, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([portal, "demo"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def time_requests(client, paths: list[str], count: int) -> list[float]:
    timings = []
    for i in range(count):
        path = paths[i % len(paths)]
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        timings.append(elapsed)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="pm-bench-"))
    env = dict(os.environ, PORTAL_INSTANCE_PATH=str(folder))
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)
    seconds = load_demo(env)

    from sqlalchemy import select

    from portal import create_app
    from portal.auth.services import create_user
    from portal.companies.models import Company
    from portal.db import db
    from portal.profiles.models import Person
    from portal.profiles.services import create_person

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    rng = random.Random(7)
    with app.app_context():
        session = db.session
        slugs = list(session.scalars(select(Person.slug)))
        company_slugs = list(session.scalars(select(Company.slug)))
        user = create_user(session, "bench@bench.example", "bench-password-123", verified=True)
        create_person(session, "Bench Viewer", email=user.email, user_id=user.id)
        session.commit()
        people, companies = len(slugs), len(company_slugs)

    profile_paths = [f"/people/{s}" for s in rng.sample(slugs, min(200, len(slugs)))]
    directory_paths = ["/people"] + [f"/people?page={p}" for p in range(2, 12)] + [
        "/companies", "/companies?page=2", "/people?partner_type=reseller", "/people?region=Western+Europe"]

    anonymous = app.test_client()
    member = app.test_client()
    response = member.post("/login", data={"email": "bench@bench.example", "password": "bench-password-123"})
    assert response.status_code in (302, 303), f"login failed: {response.status_code}"

    backend = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print(f"Demo ecosystem: {people} people, {companies} companies, loaded in {seconds:.1f} s ({backend})")
    print(f"{'page':<28}{'viewer':<12}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    worst = 0.0
    for label, paths in (("profile /people/<slug>", profile_paths), ("directory /people,/companies", directory_paths)):
        for viewer, client in (("anonymous", anonymous), ("member", member)):
            time_requests(client, paths, 20)  # warm caches and the connection pool
            timings = time_requests(client, paths, args.requests)
            p95 = percentile(timings, 95)
            worst = max(worst, p95)
            print(f"{label:<28}{viewer:<12}{len(timings):>6}{statistics.median(timings):>10.2f}{p95:>10.2f}"
                  f"{max(timings):>10.2f}")
    print(f"target p95 < 25 ms: {'met' if worst < 25 else 'NOT met'} (worst p95 {worst:.2f} ms)")


if __name__ == "__main__":
    main()
