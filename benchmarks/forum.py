"""Forum and search speed on a generated forum (issue 3): thread pages, search, bulk reindex,
and the same searches on SQLite FTS5 for comparison.

Usage: .venv/bin/python benchmarks/forum.py [--people 5000] [--threads 20000] [--posts 100000]
                                            [--requests 500] [--database-url URL]

Builds the data with benchmarks/forum_data.py (the demo ecosystem with --people people, then a
forum written from the people's own topics with skewed authors and thread lengths, public,
members-only and private-group categories), then measures in process (server time, no network):
- GET of a thread page of 50 posts, anonymous and as a logged-in member;
- `portal reindex` (Whoosh, the default backend): documents and posts per second;
- GET /search for one- and two-word queries and phrases, anonymous and member;
- the same queries straight on the Whoosh backend and on an SQLite FTS5 table (porter
  tokenizer, bm25 with the same title boost, snippet(), total count) built from the same documents.
Targets: thread page p95 < 50 ms, search p95 < 50 ms, bulk reindex >= 500 posts/s.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from clouds_hovercard import percentile  # noqa: E402


def timed(fn, items) -> list[float]:
    timings = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(label: str, timings: list[float]) -> None:
    print(f"{label:44s} p50 {statistics.median(timings):6.1f} ms  p95 {percentile(timings, 95):6.1f} ms  "
          f"max {max(timings):6.1f} ms  (n={len(timings)})")


def queries(rng: random.Random, count: int) -> list[str]:
    """One word, two words, or a two-word phrase from the demo's capabilities (what people write about)."""
    from portal.demo.data import CAPABILITIES

    words = sorted({w for c in CAPABILITIES for w in c.lower().split() if len(w) > 2 and w.isalpha()})
    phrases = [c.lower().split()[:2] for c in CAPABILITIES if len(c.split()) >= 2]
    out = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            out.append(rng.choice(words))
        elif kind == 1:
            out.append(" ".join(rng.sample(words, 2)))
        else:
            out.append('"' + " ".join(rng.choice(phrases)) + '"')
    return out


def fts5_table(app, path: Path) -> sqlite3.Connection:
    """An FTS5 index of the same documents the search index holds (public text)."""
    from portal.db import db
    from portal.search.documents import all_documents

    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(title, tags, body, scope UNINDEXED, url UNINDEXED, "
                 "tokenize='porter unicode61')")
    with app.app_context():
        rows = ((d.title, " ".join(d.tags), d.text["public"], d.scope, d.url) for d in all_documents(db.session))
        conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    return conn


def fts5_search(conn: sqlite3.Connection, text: str) -> list:
    # Same contract as the portal's search: scope filter, title boost, snippet, total count.
    match = text if text.startswith('"') else " ".join(f'"{w}"' for w in text.split())
    total = conn.execute("SELECT count(*) FROM docs WHERE docs MATCH ? AND scope IN ('public', 'members')",
                         (match,)).fetchone()[0]
    rows = conn.execute(
        "SELECT title, url, snippet(docs, 2, '<mark>', '</mark>', '…', 24) FROM docs "
        "WHERE docs MATCH ? AND scope IN ('public', 'members') ORDER BY bm25(docs, 3.0, 2.0, 1.0) LIMIT 10",
        (match,)).fetchall()
    return [total, rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=20000)
    parser.add_argument("--posts", type=int, default=100000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reuse", default="", help="the folder of an earlier run: skip loading and generating")
    args = parser.parse_args()

    folder = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="pm-forum-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(folder), "SECRET_KEY": "bench"}
    print(f"data folder: {folder}")
    if not args.reuse:
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "forum_data.py"), "--database-url", url,
                        "--instance-path", str(folder), "--people", str(args.people), "--threads",
                        str(args.threads), "--posts", str(args.posts), "--seed", str(args.seed)],
                       env=env, check=True, capture_output=True)
        print(f"demo ecosystem and forum built in {time.perf_counter() - started:.1f} s (benchmarks/forum_data.py)")

    os.environ.update(env)
    from sqlalchemy import func, select

    from portal import create_app
    from portal.auth.models import User
    from portal.db import db, utcnow
    from portal.forums.models import Category, Post, Thread
    from portal.profiles.models import Person
    from portal.profiles.visibility import Viewer
    from portal.search import services as search
    from portal.search.query import build_query

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        long_threads = list(db.session.scalars(select(Thread.id).join(Category, Category.id == Thread.category_id)
                                               .where(Thread.last_number >= 50, Category.visibility == "public",
                                                      Thread.deleted_at.is_(None)).limit(20)))
        s = db.session
        posts = s.scalar(select(func.count(Post.id)))
        threads = s.scalar(select(func.count(Thread.id)))
    print(f"forum: {threads:,} threads, {posts:,} posts; {len(long_threads)} public threads of 50+ posts timed")

    with app.app_context():
        count, seconds = search.rebuild(db.session)
    print(f"bulk reindex (Whoosh): {count:,} documents in {seconds:.1f} s = {count / seconds:,.0f} documents/s "
          f"= {posts / seconds:,.0f} posts/s")

    with app.app_context():
        s = db.session
        user = s.scalar(select(User).where(User.email == "bench-reader@example.org"))
        if user is None:
            member = s.scalar(select(Person).where(Person.user_id.is_(None)).limit(1))
            user = User(email="bench-reader@example.org", password_hash="!", role="member",  # noqa: S106
                        email_verified_at=utcnow())
            s.add(user)
            s.flush()
            member.user_id = user.id
            db.commit()
        user_key = user.get_id()
        member_id = s.scalar(select(Person.id).where(Person.user_id == user.id))
    rng = random.Random(args.seed)
    anonymous = app.test_client()
    logged_in = app.test_client()
    with logged_in.session_transaction() as browser_session:
        browser_session["_user_id"], browser_session["_fresh"] = user_key, True

    def get(client):
        def fetch(path: str) -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        return fetch

    pages = [f"/forums/t/{rng.choice(long_threads)}" for _ in range(args.requests)]
    report("thread page, 50 posts, anonymous", timed(get(anonymous), pages))
    report("thread page, 50 posts, member", timed(get(logged_in), pages))

    texts = queries(rng, args.requests)
    from urllib.parse import quote

    paths = [f"/search?q={quote(t)}" for t in texts]
    report("GET /search, anonymous", timed(get(anonymous), paths))
    report("GET /search, member", timed(get(logged_in), paths))

    with app.app_context():
        session = db.session
        viewer = Viewer(person_id=member_id, is_member=True)
        whoosh_times = timed(lambda t: search.search(session, viewer, build_query(t)), texts)
    report("Whoosh backend search (member)", whoosh_times)
    started = time.perf_counter()
    (folder / "fts5.db").unlink(missing_ok=True)
    conn = fts5_table(app, folder / "fts5.db")
    print(f"FTS5 table built in {time.perf_counter() - started:.1f} s")
    fts_times = timed(lambda t: fts5_search(conn, t), texts)
    report("SQLite FTS5 search (same documents)", fts_times)
    ratio = percentile(whoosh_times, 95) / percentile(fts_times, 95)
    median_ratio = statistics.median(whoosh_times) / statistics.median(fts_times)
    faster = "FTS5" if ratio > 1 else "Whoosh"
    print(f"{faster} is faster: Whoosh/FTS5 = {median_ratio:.1f}x at p50, {ratio:.1f}x at p95")


if __name__ == "__main__":
    main()
