"""Feed reads at scale: a person who follows 500 things over 1M activities (target p95 < 50 ms).

Usage: .venv/bin/python benchmarks/feeds.py [--activities 1000000] [--follows 500] [--runs 200]
                                            [--database-url postgresql://...] [--keep FILE]

Builds its own database (a fresh SQLite file, or a private database created next to the given
PostgreSQL one and dropped afterwards), migrated by the app's migration, then loads activities
the way the app records them: each about one thread, its author and zero to two tags; one in
twenty in a private group the reader is not in (the query has to skip them); timestamps 15 s
apart. The reader follows 100 people, 50 companies, 250 threads and 100 tags.

Measured through the service a page calls (`personal_feed`: the follow list, the index query,
loading the rows, the visibility check), 30 items a page:
  first page; a page 100 pages deep (reached by following cursors); a page half-way back in time;
  each with a verb filter too; and a company feed. Also the bare index query, and for
  comparison the read of a fan-out-on-write inbox (one row per follower per activity) holding
  this reader's feed, to show what the pull design costs on reads.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEOPLE, COMPANIES, THREADS, TAGS = 5000, 1000, 40000, 2000
START = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(seconds=15)
BATCH = 50_000



def _rows(count: int, seed: int):
    """(activities, targets) row tuples, oldest first, in batches."""
    rng = random.Random(seed)
    activities, targets = [], []
    for activity_id in range(1, count + 1):
        at = START + STEP * activity_id
        thread = rng.randrange(1, THREADS + 1)
        author = rng.randrange(1, PEOPLE + 1)
        group = 1 if rng.random() < 0.05 else None
        family, verb = ("forum", "forum.reply") if rng.random() < 0.8 else ("status", "status.update")
        company = rng.randrange(1, COMPANIES + 1) if family == "status" else None
        activities.append((activity_id, verb, family, f"Activity {activity_id}", f"/forums/p/{activity_id}",
                           author, company, group, group is not None, at))
        about = {("thread", thread), ("person", author)}
        about.update(("tag", rng.randrange(1, TAGS + 1)) for _ in range(rng.randrange(0, 3)))
        if company:
            about.add(("company", company))
        targets.extend((activity_id, kind, target_id, at, group, family) for kind, target_id in about)
        if len(activities) >= BATCH:
            yield activities, targets
            activities, targets = [], []
    if activities:
        yield activities, targets


def _load(engine, count: int) -> None:
    """Bulk-load persons, companies, a private group and the activities with their targets."""
    from sqlalchemy import insert, text

    from portal.feeds.models import Activity, ActivityTarget

    a_cols = ("id", "verb", "verb_family", "title", "url", "actor_person_id", "company_id", "group_id",
              "members_only", "created_at")
    t_cols = ("activity_id", "target_kind", "target_id", "created_at", "group_id", "verb_family")
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO persons (id, slug, name, headline, bio, location, region, job_title, "
                          "company_role, membership_status, visibility, created_at, updated_at) VALUES "
                          "(:id, :slug, :name, '', '', '', '', '', 'member', 'active', '{}', :at, :at)"),
                     [{"id": i, "slug": f"p{i}", "name": f"Person {i}", "at": START} for i in range(1, PEOPLE + 2)])
        conn.execute(text("INSERT INTO companies (id, slug, name, description, website, industry, region, size, "
                          "partner_type, created_at, updated_at) VALUES (:id, :slug, :name, '', '', '', '', '', "
                          "'reseller', :at, :at)"),
                     [{"id": i, "slug": f"c{i}", "name": f"Company {i}", "at": START} for i in range(1, COMPANIES + 1)])
        conn.execute(text("INSERT INTO forum_groups (id, slug, name, description, created_at) "
                          "VALUES (1, 'g', 'Private group', '', :at)"), {"at": START})
    loaded = 0
    started = time.perf_counter()
    for activities, targets in _rows(count, seed=7):
        with engine.begin() as conn:
            if postgres:
                cursor = conn.connection.driver_connection.cursor()
                with cursor.copy(f"COPY feed_activities ({', '.join(a_cols)}, summary, data) FROM STDIN") as copy:
                    for row in activities:
                        copy.write_row((*row, "", "{}"))
                with cursor.copy(f"COPY feed_activity_targets ({', '.join(t_cols)}) FROM STDIN") as copy:
                    for row in targets:
                        copy.write_row(row)
            else:
                conn.execute(insert(Activity.__table__), [dict(zip(a_cols, row, strict=True), summary="", data={})
                                                          for row in activities])
                conn.execute(insert(ActivityTarget.__table__), [dict(zip(t_cols, row, strict=True)) for row in targets])
        loaded += len(activities)
        print(f"\r  loaded {loaded:,} activities ({time.perf_counter() - started:.0f} s)", end="", flush=True)
    print()
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("SELECT setval('feed_activities_id_seq', :n)"), {"n": count})
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def _follow(engine, reader_id: int, seed: int, follows: int) -> list[tuple[str, int]]:
    from sqlalchemy import insert

    from portal.feeds.models import Follow

    rng = random.Random(seed)
    share = {"person": (PEOPLE, 0.2), "company": (COMPANIES, 0.1), "thread": (THREADS, 0.5), "tag": (TAGS, 0.2)}
    chosen: list[tuple[str, int]] = []
    for kind, (universe, part) in share.items():
        chosen += [(kind, target_id) for target_id in rng.sample(range(1, universe + 1), int(follows * part))]
    with engine.begin() as conn:
        conn.execute(insert(Follow.__table__), [{"person_id": reader_id, "target_kind": k, "target_id": i,
                                                 "created_at": START} for k, i in chosen])
    return chosen


def _timed(label: str, runs: int, call) -> float:
    call()  # warm the caches and the statement cache once
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    ordered = sorted(durations)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"  {label:46s} p50 {statistics.median(durations) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms")
    return p95


def _inbox(engine, session, reader_id: int, targets: list[tuple[str, int]], runs: int) -> None:
    """The read side of a fan-out-on-write inbox holding this reader's feed, for comparison."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_inbox"))
        conn.execute(text("CREATE TABLE bench_inbox (person_id integer, created_at timestamp with time zone, "
                          "activity_id bigint, PRIMARY KEY (person_id, created_at, activity_id))"
                          if engine.dialect.name == "postgresql" else
                          "CREATE TABLE bench_inbox (person_id integer, created_at datetime, activity_id integer, "
                          "PRIMARY KEY (person_id, created_at, activity_id))"))
        values = ",".join(f"('{k}', {i})" for k, i in targets)
        conn.execute(text(
            "INSERT INTO bench_inbox SELECT DISTINCT :p, t.created_at, t.activity_id FROM feed_activity_targets t "  # noqa: S608
            f"JOIN (VALUES {values}) AS f(kind, id) ON t.target_kind = f.kind AND t.target_id = f.id"
            if engine.dialect.name == "postgresql" else
            "INSERT INTO bench_inbox SELECT DISTINCT :p, t.created_at, t.activity_id FROM feed_activity_targets t "  # noqa: S608
            f"JOIN (SELECT column1 AS kind, column2 AS id FROM (VALUES {values})) AS f "
            "ON t.target_kind = f.kind AND t.target_id = f.id"), {"p": reader_id})
        rows = conn.execute(text("SELECT count(*) FROM bench_inbox")).scalar()
    print(f"  inbox rows for this one reader: {rows:,} (an inbox stores such a copy for every follower)")
    query = text("SELECT activity_id FROM bench_inbox WHERE person_id = :p ORDER BY created_at DESC, "
                 "activity_id DESC LIMIT 30")
    _timed("inbox read, first page (index only)", runs, lambda: session.execute(query, {"p": reader_id}).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--follows", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", default="", help="SQLite file to build or reuse (kept afterwards)")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from portal import create_app
    from portal.config import normalize_database_url
    from portal.db import db
    from portal.feeds import services
    from portal.feeds.cursor import FeedCursor
    from portal.feeds.feed_query import newest_for_targets
    from portal.feeds.models import Activity
    from portal.migrate import scratch_postgres_database, upgrade
    from portal.profiles.visibility import Viewer

    folder = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    drop = None
    reuse = False
    if args.database_url:
        url, drop = scratch_postgres_database(normalize_database_url(args.database_url), "portal_feeds_bench")
    else:
        path = Path(args.keep) if args.keep else folder / "bench.db"
        reuse = path.exists()
        url = f"sqlite:///{path}"
    try:
        if not reuse:
            upgrade(url)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                          "TESTING": True})
        with app.app_context():
            backend = db.engine.dialect.name
            print(f"database: {backend}; {args.activities:,} activities; reader follows {args.follows}")
            reader_id = PEOPLE + 1
            if not reuse:
                started = time.perf_counter()
                _load(db.engine, args.activities)
                targets = _follow(db.engine, reader_id, seed=11, follows=args.follows)
                print(f"  load: {time.perf_counter() - started:.0f} s")
            session = db.session
            targets = services.follows_of(session, reader_id)
            count = session.scalar(select(func.count()).select_from(Activity))
            print(f"  activities in the database: {count:,}; follows: {len(targets)}")
            viewer = Viewer(person_id=reader_id, is_member=True)
            first = services.personal_feed(session, viewer)
            assert len(first.items) == 30, "the reader's feed should fill a page"
            cursor = first.next_cursor
            for _ in range(99):
                cursor = services.personal_feed(session, viewer, cursor=cursor).next_cursor
            middle = START + STEP * (args.activities // 2)
            from portal.feeds.cursor import encode_cursor

            half_way = encode_cursor(middle, args.activities // 2)
            results = {
                "first page": _timed("personal feed, first page", args.runs,
                                     lambda: services.personal_feed(session, viewer)),
                "deep page": _timed("personal feed, page 101 (3,000 items deep)", args.runs,
                                    lambda: services.personal_feed(session, viewer, cursor=cursor)),
                "half-way": _timed("personal feed, half-way back in time", args.runs,
                                   lambda: services.personal_feed(session, viewer, cursor=half_way)),
                "filtered": _timed("personal feed, first page, status only", args.runs,
                                   lambda: services.personal_feed(session, viewer, verbs=["status"])),
                "filtered deep": _timed("personal feed, half-way back, status only", args.runs,
                                        lambda: services.personal_feed(session, viewer, cursor=half_way,
                                                                       verbs=["status"])),
                "company": _timed("company feed, first page", args.runs,
                                  lambda: services.company_feed(session, viewer, 17)),
            }
            before = FeedCursor(middle, args.activities // 2)
            _timed("bare index query, half-way back", args.runs, lambda: newest_for_targets(
                session, None, reader_id=reader_id, before=before, limit=31, groups=set(), families=None))
            session.rollback()
            _inbox(db.engine, session, reader_id, targets, args.runs)
            worst = max(results.values())
            print(f"  worst p95 {worst * 1000:.1f} ms: {'within' if worst < 0.05 else 'OVER'} the 50 ms target")
            session.close()
            db.engine.dispose()
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
