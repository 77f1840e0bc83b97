"""Matching engine speed at 10k and 100k people (issue 4): graph build, memory per edge,
recommendations for one person, incremental update after a new post, the broker's batch.

Usage: .venv/bin/python benchmarks/matching.py [--sizes 10000,100000] [--reuse DIR]
           [--database-url URL-with-{people}] [--recommendations 300] [--updates 60]
           [--broker-people 10000] [--tracemalloc]

For each size the data comes from benchmarks/matching_data.py (into DIR/people-N/, SQLite unless
--database-url gives a PostgreSQL URL with "{people}" in the database name), then a fresh process
per size measures with the real code of portal/matching:
- build: portal.matching.sources.build_graph(session), seconds; memory per graph edge as the RSS
  growth over the build (after gc) divided by the edges; with --tracemalloc also the Python
  allocations the graph keeps (a second build under tracemalloc, which is slow);
- recommend: portal.matching.services.recommend_people(session, id, limit=10) for random active
  members (an account that is verified and not suspended, some forum activity or a connection),
  p50/p99 in ms; target p99 < 50 ms at 100k people;
- update: a reply written with portal.forums.services.reply (a third quote a post, a fifth
  @mention someone) or a reaction with portal.forums.activity.toggle_reaction, flushed, then the
  graph applies the events that commit would publish (MatchingGraph.apply_events, re-reading the
  rows in the same transaction); the transaction is rolled back so that --reuse sees the same
  data. p50/p99 in ms; target < 5 ms;
- broker: suggested_pairs(session, ids, per_person=10) for --broker-people random people
  (everyone at 10k), then portal.broker.batch.plan_batch(pairs, 3); target < 60 s.
Prints a table per size and how each number grows from the smallest size to the largest.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MARKER = "MATCHING-RESULT "


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def rss_mb() -> float:
    """Resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed_ms(fn, items) -> list[float]:
    timings = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def active_members(session, graph, rng: random.Random, count: int) -> list[int]:
    """Random members who would look at recommendations: a verified, unsuspended account and a
    connection or some forum activity in the graph."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.matching.graph import PERSON
    from portal.profiles.models import Person

    ids = session.scalars(select(Person.id).join(User, User.id == Person.user_id)
                          .where(User.suspended_at.is_(None), User.email_verified_at.is_not(None))
                          .order_by(Person.id)).all()
    active = [pid for pid in ids if any(other[0] == PERSON for other, _ in graph.neighbours((PERSON, pid)))]
    return rng.sample(active, min(count, len(active)))


def measure_updates(session, graph, rng: random.Random, people: list[int], count: int) -> dict[str, list[float]]:
    """Write replies and reactions, then time the graph's handling of the events they queue."""
    from sqlalchemy import select

    from portal.forums.activity import toggle_reaction
    from portal.forums.models import Category, Post, Thread
    from portal.forums.services import reply
    from portal.profiles.models import Person
    from portal.profiles.visibility import Viewer

    threads = session.scalars(select(Thread.id).join(Category, Category.id == Thread.category_id)
                              .where(Category.visibility != "group", Thread.deleted_at.is_(None),
                                     Thread.locked.is_(False)).order_by(Thread.id)).all()
    timings: dict[str, list[float]] = {"reply": [], "reaction": []}
    for n in range(count):
        thread = session.get(Thread, rng.choice(threads))
        posts = session.scalars(select(Post).where(Post.thread_id == thread.id, Post.deleted_at.is_(None),
                                                   Post.hidden_at.is_(None)).order_by(Post.number)).all()
        author = rng.choice(people)
        kind = "reaction" if n % 3 == 2 else "reply"
        if kind == "reply":
            body = "Thanks, we have done this for two customers and are happy to compare notes."
            if rng.random() < 0.2:
                slug = session.scalar(select(Person.slug).where(Person.id == rng.choice(people)))
                body = f"@{slug} {body}"
            reply(session, thread, author, body, reply_to=rng.choice(posts) if rng.random() < 0.33 else None)
        else:
            post = rng.choice([p for p in posts if p.author_id != author] or posts)
            toggle_reaction(session, post, Viewer(person_id=author, is_member=True), "thanks")
        session.flush()
        batch = [{"event": name, **payload} for name, payload in session.info.pop("pending_events", [])]
        started = time.perf_counter()
        graph.apply_events(batch, session)
        timings[kind].append((time.perf_counter() - started) * 1000)
        session.rollback()
    return timings


def measure(url: str, folder: Path, people: int, args) -> dict:
    """Everything for one size, in this (fresh) process."""
    from portal import create_app
    from portal.broker.batch import plan_batch
    from portal.db import db
    from portal.matching.services import recommend_people, suggested_pairs
    from portal.matching.sources import build_graph

    rng = random.Random(args.seed)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                      "SEARCH_BACKGROUND_REBUILD": False, "RATELIMIT_ENABLED": False,
                      "MATCHING_REBUILD_SECONDS": 0, "MATCHING_CACHE_GRAPH": True})
    result: dict = {"people": people}
    with app.app_context():
        session = db.session
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        # Through the app's holder, as a web process builds it: collector paused, graph frozen after.
        graph = app.extensions["matching"].get(session)
        result["build_s"] = time.perf_counter() - started
        session.rollback()
        gc.collect()
        result["rss_delta_mb"] = rss_mb() - before
        result.update(graph.counts())
        result["bytes_per_edge"] = result["rss_delta_mb"] * 2**20 / max(1, result["edges"])
        print(f"  graph: {graph.counts()} in {result['build_s']:.1f} s", file=sys.stderr, flush=True)
        # A full collection walks every object it tracks; the app freezes the graph out of it.
        started = time.perf_counter()
        gc.collect()
        result["gc_ms"] = (time.perf_counter() - started) * 1000

        members = active_members(session, graph, rng, max(args.recommendations, 1000))
        sample = members[:args.recommendations]
        for pid in sample[:10]:  # warm-up: statement caches, imports
            recommend_people(session, pid, limit=10, graph=graph)
        empty = 0

        def recommend(pid: int) -> None:
            nonlocal empty
            empty += not recommend_people(session, pid, limit=10, graph=graph)

        times = timed_ms(recommend, sample)
        result["recommend"] = {"p50": statistics.median(times), "p99": percentile(times, 99), "max": max(times),
                               "n": len(times), "empty": empty}
        session.rollback()
        print(f"  recommend p99 {result['recommend']['p99']:.1f} ms", file=sys.stderr, flush=True)

        updates = measure_updates(session, graph, rng, members, args.updates)
        result["update"] = {kind: {"p50": statistics.median(t), "p99": percentile(t, 99), "n": len(t)}
                            for kind, t in updates.items() if t}

        everyone = graph.person_ids()
        broker_ids = None if len(everyone) <= args.broker_people else rng.sample(everyone, args.broker_people)
        started = time.perf_counter()
        pairs = suggested_pairs(session, broker_ids, per_person=10, graph=graph)
        pairs_s = time.perf_counter() - started
        started = time.perf_counter()
        chosen = plan_batch(pairs, 3)
        batch_s = time.perf_counter() - started
        result["broker"] = {"people": len(everyone if broker_ids is None else broker_ids), "pairs": len(pairs),
                            "chosen": len(chosen), "suggested_pairs_s": pairs_s, "plan_batch_s": batch_s}
        result["broker"]["total_s"] = result["broker"]["suggested_pairs_s"] + result["broker"]["plan_batch_s"]
        session.rollback()

        if args.tracemalloc:
            import tracemalloc

            del graph
            gc.collect()
            tracemalloc.start()
            graph = build_graph(session)
            session.rollback()
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            result["traced_bytes_per_edge"] = current / max(1, result["edges"])
            result["traced_peak_mb"] = peak / 2**20
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


ROWS = (  # label, how to read it from a result, unit
    ("people / companies / tags (nodes)", lambda r: f"{r['people']:,} / {r['companies']:,} / {r['tags']:,}", None),
    ("graph edges", lambda r: r["edges"], ""),
    ("graph build", lambda r: r["build_s"], "s"),
    ("RSS growth over the build", lambda r: r["rss_delta_mb"], "MB"),
    ("memory per edge (RSS)", lambda r: r["bytes_per_edge"], "B"),
    ("memory per edge (tracemalloc)", lambda r: r.get("traced_bytes_per_edge"), "B"),
    ("full gc.collect() with the graph loaded", lambda r: r.get("gc_ms"), "ms"),
    ("recommend one person p50", lambda r: r["recommend"]["p50"], "ms"),
    ("recommend one person p99 (target < 50)", lambda r: r["recommend"]["p99"], "ms"),
    ("update after a new reply p50", lambda r: r["update"]["reply"]["p50"], "ms"),
    ("update after a new reply p99 (target < 5)", lambda r: r["update"]["reply"]["p99"], "ms"),
    ("update after a reaction p99", lambda r: r["update"].get("reaction", {}).get("p99"), "ms"),
    ("broker: people in the batch", lambda r: r["broker"]["people"], ""),
    ("broker: suggested_pairs", lambda r: r["broker"]["suggested_pairs_s"], "s"),
    ("broker: plan_batch (k=3)", lambda r: r["broker"]["plan_batch_s"], "s"),
    ("broker: total (target < 60)", lambda r: r["broker"]["total_s"], "s"),
    ("broker: candidate pairs / chosen", lambda r: f"{r['broker']['pairs']:,} / {r['broker']['chosen']:,}", None),
    ("peak RSS of the process", lambda r: r["max_rss_mb"], "MB"),
)


def fmt(value, unit) -> str:
    if value is None:
        return "-"
    if unit is None:
        return str(value)
    if isinstance(value, int) or unit in ("", "B") or value >= 100:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.2f} {unit}" if value < 10 else f"{value:.1f} {unit}"


def report(results: list[dict]) -> None:
    sizes = [r["people"] for r in results]
    header = f"{'':44s}" + "".join(f"{f'{n:,} people':>26s}" for n in sizes)
    growth = len(results) > 1
    if growth:
        header += f"{f'growth x{sizes[-1] / sizes[0]:g}':>14s}"
    print(header)
    for label, read, unit in ROWS:
        values = [read(r) for r in results]
        line = f"{label:44s}" + "".join(f"{fmt(v, unit):>26s}" for v in values)
        if growth and unit is not None and values[0] and values[-1] is not None:
            line += f"{values[-1] / values[0]:13.1f}x"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--reuse", default="", help="an earlier run's folder: sizes found there are not rebuilt")
    parser.add_argument("--database-url", default="", help="e.g. postgresql://postgres@127.0.0.1:5432/bench_{people}")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--recommendations", type=int, default=300)
    parser.add_argument("--updates", type=int, default=60)
    parser.add_argument("--broker-people", type=int, default=10000)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the graph's Python allocations")
    parser.add_argument("--measure", default="", help=argparse.SUPPRESS)  # internal: URL to measure in this process
    parser.add_argument("--people", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--folder", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        result = measure(args.measure, Path(args.folder), args.people, args)
        print(MARKER + json.dumps(result))
        return

    folder = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="pm-matching-"))
    print(f"machine: {machine()}; data folder: {folder}")
    results = []
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        sub = folder / f"people-{size}"
        url = args.database_url.format(people=size) if args.database_url else f"sqlite:///{sub / 'bench.db'}"
        if not (sub / "matching-data.json").exists():
            print(f"generating {size:,} people ...", flush=True)
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "matching_data.py"), "--people", str(size),
                            "--database-url", url, "--instance-path", str(sub), "--seed", str(args.seed)],
                           check=True)
        data = json.loads((sub / "matching-data.json").read_text())
        print(f"measuring {size:,} people ({data['edges']['total']:,} edges by the generator's count, "
              f"{url.split(':', 1)[0]}) ...", flush=True)
        command = [sys.executable, __file__, "--measure", url, "--people", str(size), "--folder", str(sub),
                   "--seed", str(args.seed), "--recommendations", str(args.recommendations),
                   "--updates", str(args.updates), "--broker-people", str(args.broker_people)]
        if args.tracemalloc:
            command.append("--tracemalloc")
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        result = json.loads(next(line for line in output.splitlines() if line.startswith(MARKER))[len(MARKER):])
        results.append(result)
        report([result])
        print()
    if len(results) > 1:
        print("growth from the smallest to the largest size:")
        report(results)


if __name__ == "__main__":
    main()
