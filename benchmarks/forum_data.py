"""Build a benchmark database: the demo ecosystem at 5k people plus a forum of 20k threads and 100k posts.

Usage: .venv/bin/python benchmarks/forum_data.py --database-url URL --instance-path DIR
           [--people 5000] [--threads 20000] [--posts 100000] [--seed 7] [--derived]

People, companies, tags and connections come from the demo generator (through the importer, as
`portal demo` makes them). The forum is then written with bulk inserts, but every row is what the
services would have written: Markdown bodies rendered and sanitized by portal.markdown (mentions
linked by portal.forums.mentions), post numbers 1..n per thread, post_count/last_number/
last_post_at right, accepted answers, quote-replies, reactions, a few edits with their history,
soft-deleted and hidden posts. The shape is skewed like real forums: a few prolific authors,
many one-post people and lurkers, most threads short, a few with 50 to several hundred posts.
The counts include the demo's own forum (about 90 threads), so the totals are exactly as asked.

Search index and tag clouds are derived data: --derived rebuilds them (`portal reindex`,
`portal clouds rebuild`); benchmarks that time those steps leave it off. The demo accounts'
e-mail addresses and passwords are written to DIR/forum-data.json for benchmarks that log in.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from forum_text import ForumWriter  # noqa: E402

from portal.demo.forums import CATEGORIES  # noqa: E402

SPAN_DAYS = 3 * 365
ANNOUNCEMENTS = CATEGORIES[0]["id"]
LONG_THREADS = 40  # threads of 50 to several hundred posts


def _render(text: str) -> str:
    from portal.markdown import render_markdown

    return str(render_markdown(text))


def render_all(texts: list[str], processes: int) -> list[str]:
    """Markdown → sanitized HTML for every post, on all cores (rendering is most of the time)."""
    if processes <= 1:
        return [_render(t) for t in texts]
    with Pool(processes) as pool:
        return pool.map(_render, texts, chunksize=500)


def thread_sizes(rng: random.Random, threads: int, replies: int) -> list[int]:
    """Replies per thread: a few long threads (50 to 600 posts), then a long tail where most
    threads get 0-5 replies. Small runs (fewer than a third of the replies left) skip the long ones."""
    sizes = [0] * threads
    long_ids = rng.sample(range(threads), min(LONG_THREADS, threads))
    long_sizes = [min(599, 49 + int(rng.paretovariate(1.4) * 20)) for _ in long_ids]
    if sum(long_sizes) * 3 > replies:
        long_ids, long_sizes = [], []
    weights = [min(30.0, rng.paretovariate(1.8)) for _ in range(threads)]  # the long ones are above
    for tid, size in zip(long_ids, long_sizes, strict=True):
        sizes[tid], weights[tid] = size, 0.0
    left = replies - sum(long_sizes)
    if left > 0 and threads > len(long_ids):
        for tid in rng.choices(range(threads), weights=weights, k=left):
            sizes[tid] += 1
    return sizes


def reply_times(rng: random.Random, start: datetime, count: int, now: datetime) -> list[datetime]:
    """Reply dates after `start`: quick at first, slower later, never after `now`."""
    times, when = [], start
    for n in range(count):
        when += timedelta(hours=rng.expovariate(1 / (3 + 2 * math.sqrt(n))))
        times.append(when)
    if times and times[-1] > now:
        scale = (now - start) / (times[-1] - start) * 0.999
        times = [start + (t - start) * scale for t in times]
    return times


class AuthorPool:
    """People who write in a place, Zipf-like: the r-th most active writes ~1/r^0.8 as much as the first."""

    def __init__(self, rng: random.Random, people: list) -> None:
        self.people = list(people)
        rng.shuffle(self.people)
        self.cum, total = [], 0.0
        for rank in range(len(self.people)):
            total += 1.0 / (rank + 1) ** 0.8
            self.cum.append(total)

    def draw(self, rng: random.Random):
        return rng.choices(self.people, cum_weights=self.cum)[0]


def make_categories(session, rng: random.Random, people: list) -> list[tuple]:
    """(category, weight, author pool) for the demo's categories plus new ones and three private groups.

    Categories and groups go through the services; group members in one statement. In a group,
    only its members write; elsewhere 70% of the people write and 30% only read."""
    from sqlalchemy import insert, select

    from portal.forums import services as forums
    from portal.forums.models import GROUP, Category, GroupMember

    writers = AuthorPool(rng, [p for p in people if rng.random() < 0.7] or people)
    for name, visibility in (("Integration patterns", "public"), ("Data and analytics", "public"),
                             ("Security and compliance", "public"), ("Cloud and infrastructure", "public"),
                             ("Co-selling", "members"), ("Deal registration", "members")):
        forums.create_category(session, name, visibility=visibility,
                               description=f"Questions and experience about {name.lower()}.")
    member_rows = []
    for name in ("SAP alliance", "Nordics partners", "Healthcare working group"):
        admin = people[rng.randrange(len(people))].id
        group = forums.create_group(session, name, admin, description=f"Private group: {name}.")
        members = sorted({p.id for p in rng.sample(people, min(len(people), 120))} - {admin})
        member_rows += [{"group_id": group.id, "person_id": pid, "role": "admin" if i == 0 else "member"}
                        for i, pid in enumerate(members)]
    if member_rows:
        session.execute(insert(GroupMember), member_rows)
    by_id = {p.id: p for p in people}
    result = []
    for category in session.scalars(select(Category).order_by(Category.id)):
        if category.external_id == ANNOUNCEMENTS:
            continue  # the ecosystem team's news, not where members ask questions
        if category.visibility == GROUP:
            members = session.scalars(select(GroupMember.person_id).where(GroupMember.group_id == category.group_id)
                                      .order_by(GroupMember.person_id))
            result.append((category, 1, AuthorPool(rng, [by_id[pid] for pid in members])))
        else:
            result.append((category, 4 if category.visibility == "public" else 2, writers))
    return result


def plan_threads(rng: random.Random, categories: list[tuple], topics: dict[int, list[str]], tag_ids: dict[str, int],
                 *, first_id: int, count: int, replies: int,
                 now: datetime) -> tuple[list[dict], list[dict], list[list[dict]]]:
    """Thread rows, thread-tag rows and, per thread, its posts in order (ids and HTML come later)."""
    from portal.forums.services import quote_text
    from portal.text import slugify

    writer = ForumWriter(rng)
    sizes = thread_sizes(rng, count, replies)
    weights = [weight for _, weight, _ in categories]
    thread_rows, tag_rows, planned = [], [], []
    for n in range(count):
        category, _, pool = rng.choices(categories, weights=weights)[0]
        asker = pool.draw(rng)
        own = topics.get(asker.id) or ["partnering"]
        topic = rng.choice(own)
        related = [t for t in rng.sample(own, min(2, len(own))) if t != topic]
        created = now - timedelta(days=SPAN_DAYS * (1 - rng.random() ** 0.7), seconds=rng.randrange(86400))
        title = writer.title(topic, related[0] if related else "")
        tid = first_id + n
        thread_rows.append({"id": tid, "category_id": category.id, "author_id": asker.id, "title": title,
                            "slug": slugify(title, 100), "created_at": created, "pinned": rng.random() < 0.002,
                            "locked": rng.random() < 0.005, "accepted_post_id": None})
        tag_rows += [{"thread_id": tid, "tag_id": tag_ids[name], "position": k}
                     for k, name in enumerate([topic, *related]) if name in tag_ids]
        posts = [{"thread_id": tid, "author": asker, "body": writer.question(topic, related), "created_at": created,
                  "reply_to": None, "mention": None, "pool": pool}]
        for when in reply_times(rng, created, sizes[n], now):
            author = pool.draw(rng)
            parent = rng.choice(posts) if len(posts) > 1 and rng.random() < 0.15 else None
            mention = asker if rng.random() < 0.03 and asker.id != author.id else None
            body = writer.reply(rng.choice(topics.get(author.id) or [topic]), topic, mention=mention and mention.slug)
            if parent is not None:
                body = quote_text(SimpleNamespace(body=parent["body"]), parent["author"].name) + body
            posts.append({"thread_id": tid, "author": author, "body": body, "created_at": when, "reply_to": parent,
                          "mention": mention, "pool": pool})
        planned.append(posts)
    return thread_rows, tag_rows, planned


def finish_rows(rng: random.Random, thread_rows: list[dict], planned: list[list[dict]], html: dict[int, str],
                moderator_id: int | None) -> dict[str, list[dict]]:
    """Post rows with numbers, thread counters and accepted answers, and what people did with the posts:
    reactions, mentions, edits (with the earlier text kept), soft deletes and moderator hides (logged)."""
    from portal.forums.models import REACTIONS

    rows = {"post": [], "mention": [], "reaction": [], "revision": [], "moderation": []}
    for thread, posts in zip(thread_rows, planned, strict=True):
        thread["post_count"] = thread["last_number"] = len(posts)
        thread["last_post_at"] = posts[-1]["created_at"]
        answers = [p for p in posts[1:] if p["author"].id != thread["author_id"]]
        if answers and rng.random() < 0.35:
            thread["accepted_post_id"] = rng.choice(answers[:6])["id"]
        for number, post in enumerate(posts, start=1):
            row = {"id": post["id"], "thread_id": thread["id"], "number": number, "author_id": post["author"].id,
                   "body": post["body"], "body_html": html[post["id"]], "created_at": post["created_at"],
                   "reply_to_id": post["reply_to"]["id"] if post["reply_to"] else None, "edited_at": None,
                   "deleted_at": None, "hidden_at": None, "hidden_reason": "", "external_id": None}
            rows["post"].append(row)
            if post["mention"] is not None:
                rows["mention"].append({"post_id": row["id"], "person_id": post["mention"].id})
            if rng.random() < 0.3:  # a few reactions on some posts, many on a handful
                fans = {post["pool"].draw(rng).id for _ in range(min(30, int(rng.paretovariate(1.2))))}
                rows["reaction"] += [{"post_id": row["id"], "person_id": fan, "kind": rng.choice(list(REACTIONS)),
                                      "created_at": row["created_at"] + timedelta(hours=1)}
                                     for fan in sorted(fans - {row["author_id"]})]
            roll = rng.random()
            if number == 1 or row["id"] == thread["accepted_post_id"] or roll > 0.02:
                continue
            if roll < 0.003:
                row["deleted_at"] = row["created_at"] + timedelta(hours=2)
            elif roll < 0.004 and moderator_id is not None:
                row["hidden_at"], row["hidden_reason"] = row["created_at"] + timedelta(days=1), "spam"
                rows["moderation"].append({"actor_id": moderator_id, "action": "hide_post", "target_type": "post",
                                           "target_id": row["id"], "created_at": row["hidden_at"],
                                           "detail": {"thread_id": thread["id"], "reason": "spam"}})
            else:  # edited: the history keeps the first version
                row["edited_at"] = row["created_at"] + timedelta(minutes=rng.randint(2, 600))
                rows["revision"].append({"post_id": row["id"], "editor_id": row["author_id"], "title": None,
                                         "body": row["body"].rsplit("\n\n", 1)[0] + "\n\n(draft)",
                                         "created_at": row["edited_at"]})
    return rows


def generate_forum(session, *, threads: int, posts: int, seed: int, processes: int, now: datetime) -> dict:
    """Bulk-write the forum up to `threads` threads and `posts` posts in all (flushes, never commits).
    Returns counts and shape statistics."""
    from sqlalchemy import func, insert, select, text

    from portal.auth.models import ROLE_ECOSYSTEM_ADMIN, User
    from portal.forums.mentions import link_mentions
    from portal.forums.models import Mention, ModerationAction, Post, PostRevision, Reaction, Thread, ThreadTag
    from portal.profiles.models import Person, PersonTag
    from portal.tags.models import Tag

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    people = list(session.execute(select(Person.id, Person.slug, Person.name).order_by(Person.id)))
    topics: dict[int, list[str]] = {}
    for person_id, name in session.execute(select(PersonTag.person_id, Tag.name).join(Tag, Tag.id == PersonTag.tag_id)
                                           .order_by(PersonTag.person_id, PersonTag.kind, PersonTag.position)):
        if name not in topics.setdefault(person_id, []):  # a tag can be both a skill and an offer
            topics[person_id].append(name)
    tag_ids = {name: tag_id for name, tag_id in session.execute(select(Tag.name, Tag.id))}
    categories = make_categories(session, rng, people)
    existing_threads = session.scalar(select(func.count(Thread.id))) or 0
    existing_posts = session.scalar(select(func.count(Post.id))) or 0
    count = max(0, threads - existing_threads)
    thread_rows, tag_rows, planned = plan_threads(
        rng, categories, topics, tag_ids, first_id=(session.scalar(select(func.max(Thread.id))) or 0) + 1,
        count=count, replies=max(0, posts - existing_posts - count), now=now)
    # Post ids follow time across the forum, as if the posts had been written one after the other.
    flat = sorted((p for thread_posts in planned for p in thread_posts), key=lambda p: p["created_at"])
    first_post = (session.scalar(select(func.max(Post.id))) or 0) + 1
    for offset, post in enumerate(flat):
        post["id"] = first_post + offset
    timings["plan"] = time.perf_counter() - started

    started = time.perf_counter()
    # What the services render: the body with known @mentions linked (a query only for those posts).
    texts = [link_mentions(session, p["body"])[0] if p["mention"] else p["body"] for p in flat]
    html = dict(zip((p["id"] for p in flat), render_all(texts, processes), strict=True))
    timings["render"] = time.perf_counter() - started

    started = time.perf_counter()
    moderator = session.scalar(select(Person.id).join(User, User.id == Person.user_id)
                               .where(User.role == ROLE_ECOSYSTEM_ADMIN).limit(1))
    rows = finish_rows(rng, thread_rows, planned, html, moderator)
    for table, table_rows in ((Thread, thread_rows), (ThreadTag, tag_rows), (Post, rows["post"]),
                              (Mention, rows["mention"]), (Reaction, rows["reaction"]),
                              (PostRevision, rows["revision"]), (ModerationAction, rows["moderation"])):
        for start in range(0, len(table_rows), 5000):
            session.execute(insert(table), table_rows[start:start + 5000])
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the sequences behind; the next thread or reply would collide.
        for table in (Thread.__tablename__, Post.__tablename__):  # constants, not input
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                 f"(SELECT max(id) FROM {table}))"))
    session.flush()
    timings["insert"] = time.perf_counter() - started
    per_author: dict[int, int] = {}
    for row in rows["post"]:
        per_author[row["author_id"]] = per_author.get(row["author_id"], 0) + 1
    return {"threads": session.scalar(select(func.count(Thread.id))),
            "posts": session.scalar(select(func.count(Post.id))), "categories": len(categories),
            "reactions": len(rows["reaction"]), "mentions": len(rows["mention"]), "edits": len(rows["revision"]),
            "hidden": len(rows["moderation"]), "accepted": sum(1 for t in thread_rows if t["accepted_post_id"]),
            "threads_50_plus": sum(1 for t in thread_rows if t["post_count"] >= 50),
            "longest_thread": max((t["post_count"] for t in thread_rows), default=0),
            "top_authors_posts": sorted(per_author.values(), reverse=True)[:5],
            "authors": len(per_author), "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="An empty (or not yet created) database.")
    parser.add_argument("--instance-path", required=True, help="The portal's instance folder (search index...).")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=20000)
    parser.add_argument("--posts", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="For rendering Markdown.")
    parser.add_argument("--derived", action="store_true", help="Also rebuild the search index and tag clouds.")
    args = parser.parse_args()

    from sqlalchemy import select

    from portal import create_app
    from portal.companies.models import Company
    from portal.db import db
    from portal.demo.generator import build_ecosystem, plan_ecosystem
    from portal.migrate import upgrade

    instance = Path(args.instance_path).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    total = time.perf_counter()
    upgrade(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
                      "SEARCH_BACKGROUND_REBUILD": False})
    with app.app_context():
        session = db.session
        if session.scalar(select(Company.id).limit(1)) is not None:
            sys.exit("The database already has data: give an empty one.")
        started = time.perf_counter()
        companies = max(1, round(args.people * 160 / 850))  # the demo's ratio
        # Midnight UTC today, as `portal demo`: the same seed on the same day gives the same database,
        # and the newest posts are recent (tag clouds weigh recent writing more).
        now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        result = build_ecosystem(session, plan_ecosystem(args.seed, companies, args.people, now=now))
        people_seconds = time.perf_counter() - started
        stats = generate_forum(session, threads=args.threads, posts=args.posts, seed=args.seed,
                               processes=args.processes, now=now)
        # Search and clouds are rebuilt from the tables (--derived or by the benchmark), not per event.
        session.info.pop("pending_events", None)
        session.commit()
    accounts = [{"email": a.email, "password": a.password, "role": a.role} for a in [result.admin, *result.members]]
    (instance / "forum-data.json").write_text(json.dumps({"accounts": accounts, "stats": stats}, indent=2,
                                                         default=str))
    timings = stats.pop("timings")
    print(f"people, companies, tags, connections: {args.people} people in {people_seconds:.1f} s")
    print(f"forum: {stats['threads']} threads, {stats['posts']} posts "
          f"(plan {timings['plan']:.1f} s, render {timings['render']:.1f} s, insert {timings['insert']:.1f} s)")
    print("shape: " + ", ".join(f"{k} {v}" for k, v in stats.items() if k not in ("threads", "posts")))
    if args.derived:
        env = {**os.environ, "DATABASE_URL": args.database_url, "PORTAL_INSTANCE_PATH": str(instance),
               "SECRET_KEY": "bench"}
        portal = str(ROOT / ".venv" / "bin" / "portal")
        for command in (["reindex"], ["clouds", "rebuild"]):
            subprocess.run([portal, *command], env=env, check=True)
    print(f"done in {time.perf_counter() - total:.1f} s; accounts in {instance / 'forum-data.json'}")


if __name__ == "__main__":
    main()
