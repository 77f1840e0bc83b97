"""Notifications at scale: the nav's unread count and the page for people with many notifications,
one notify() to a large audience (with right-away mail into the outbox), and the daily digest run.

Usage: .venv/bin/python benchmarks/notifications.py [--people 2000] [--per-person 100] [--database-url URL]

Runs in process on a fresh SQLite file by default, or on the PostgreSQL database given with
--database-url (tables created by the migration; use an empty database). Rows are bulk-inserted:
`--people` accounts with profiles, `--per-person` notifications each (a third unread), and five
waiting digest items for every other person. Mail delivery after commit is off: the numbers are
the portal's own work (the outbox rows are written, nothing is sent).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _populate(session, people: int, per_person: int) -> list[int]:
    from sqlalchemy import insert, select

    from portal.auth.models import User
    from portal.db import utcnow
    from portal.notifications.models import DIGEST, IN_APP, Notification
    from portal.profiles.models import Person

    now = utcnow()
    session.execute(insert(User), [{"email": f"bench{n}@example.org", "password_hash": "!", "role": "member",
                                    "email_verified_at": now} for n in range(people)])
    users = dict(session.execute(select(User.email, User.id)).all())
    session.execute(insert(Person), [{"user_id": users[f"bench{n}@example.org"], "slug": f"bench-{n}",
                                      "name": f"Bench Person {n}", "email": f"bench{n}@example.org"}
                                     for n in range(people)])
    person_ids = list(session.scalars(select(Person.id).order_by(Person.id)))
    rows = []
    for index, pid in enumerate(person_ids):
        for n in range(per_person):
            rows.append({"person_id": pid, "kind": "reply", "title": f"Reply {n}", "url": f"/forums/p/{n + 1}",
                         "created_at": now - timedelta(minutes=per_person - n), "delivery": IN_APP,
                         "read_at": None if n % 3 == 0 else now, "mailed_at": None})
        if index % 2 == 0:
            rows.extend({"person_id": pid, "kind": "reply", "title": f"Waiting {n}", "url": f"/forums/p/{n + 1}",
                         "created_at": now, "delivery": DIGEST, "read_at": None, "mailed_at": None}
                        for n in range(5))
        if len(rows) > 20_000:
            session.execute(insert(Notification), rows)
            rows = []
    if rows:
        session.execute(insert(Notification), rows)
    session.commit()
    return person_ids


def _report(label: str, durations: list[float]) -> None:
    ordered = sorted(durations)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"{label:48s} n={len(durations):5d}  mean {statistics.mean(durations) * 1000:7.2f} ms"
          f"  p95 {p95 * 1000:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--per-person", type=int, default=100)
    parser.add_argument("--audience", type=int, default=500, help="people told by one notify()")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    import logging

    from portal import create_app
    from portal.db import db
    from portal.migrate import upgrade
    from portal.notifications import services
    from portal.notifications.digest import digest_for, people_waiting

    folder = Path(tempfile.mkdtemp(prefix="notifications-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    os.environ.setdefault("PORTAL_INSTANCE_PATH", str(folder))
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench-secret",
                      "RATELIMIT_ENABLED": False, "SMTP_HOST": "", "MAIL_DELIVER_AFTER_COMMIT": False})
    logging.getLogger().setLevel(logging.WARNING)
    rng = random.Random(6)
    with app.app_context():
        session = db.new_session()
        start = time.perf_counter()
        person_ids = _populate(session, args.people, args.per_person)
        total = args.people * args.per_person + (args.people + 1) // 2 * 5
        print(f"database: {url.split(':', 1)[0]}; {args.people} people, {total} notifications "
              f"(populated in {time.perf_counter() - start:.1f} s)")

        sample = [rng.choice(person_ids) for _ in range(500)]
        durations = []
        for pid in sample:
            begin = time.perf_counter()
            services.unread_count(session, pid)
            durations.append(time.perf_counter() - begin)
        _report("unread_count (the nav badge, every page)", durations)

        durations = []
        for pid in sample[:200]:
            begin = time.perf_counter()
            services.notifications_page(session, pid, 1)
            durations.append(time.perf_counter() - begin)
        _report("notifications page 1 (30 newest + actors)", durations)
        session.rollback()

        durations = []
        for round_ in range(5):
            audience = rng.sample(person_ids, min(args.audience, len(person_ids)))
            begin = time.perf_counter()
            services.notify(session, person_ids=audience, kind="mention", title=f"Bench mention {round_}",
                            url=f"/forums/p/{900_000 + round_}", actor_person_id=person_ids[0])
            session.commit()
            durations.append(time.perf_counter() - begin)
        _report(f"notify {args.audience} people, mail right away + commit", durations)

        begin = time.perf_counter()
        waiting = people_waiting(session)
        session.commit()
        per_person = []
        for pid in waiting:
            one = time.perf_counter()
            digest_for(session, pid)
            session.commit()
            per_person.append(time.perf_counter() - one)
        elapsed = time.perf_counter() - begin
        print(f"digest run: {len(waiting)} people mailed in {elapsed:.2f} s")
        _report("digest, one person (claim + mail + commit)", per_person)
        begin = time.perf_counter()
        again = people_waiting(session)
        print(f"second digest run: {len(again)} people waiting, {(time.perf_counter() - begin) * 1000:.1f} ms")
        session.close()


if __name__ == "__main__":
    main()
