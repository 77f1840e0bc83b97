"""Private messages at scale: what every page pays for the nav's unread badge, and the inbox,
conversation page and sending, for a busy member.

Usage: .venv/bin/python benchmarks/messages.py [--messages 500000] [--conversations 20000]
                                               [--runs 200] [--database-url postgresql://...]

Builds its own database (a fresh SQLite file, or a private database created next to the given
PostgreSQL one and dropped afterwards), migrated by the app's migration. 3,000 people; the
conversations are 80% one-to-one and 20% groups of 3-8; messages go to random conversations in
time order, by one of their participants. The measured reader is in 400 of the conversations,
has read each up to a random point and blocked 5 people who share groups with them.

Measured through the services the pages call:
  unread_total (the nav badge on every page), unread_counts, inbox page 1 (20 rows with
  names, last readable message and unread counts), the latest 50 messages of a conversation,
  and post_message (rolled back each time; includes the notification and the event).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEOPLE = 3000
READER, READER_CONVERSATIONS = 1, 400
START = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 50_000



def _load(session, conversations: int, messages: int, seed: int) -> None:
    from sqlalchemy import insert, update

    from portal.messages.models import Block, Conversation, Message, Participant
    from portal.messages.services import pair_key
    from portal.profiles.models import Person

    rng = random.Random(seed)
    session.execute(insert(Person), [{"id": i, "slug": f"person-{i}", "name": f"Person {i}"}
                                     for i in range(1, PEOPLE + 1)])
    members: list[list[int]] = []
    pairs: set[str] = set()
    rows, parts = [], []
    for cid in range(1, conversations + 1):
        reader_in = cid <= READER_CONVERSATIONS
        while True:
            size = 2 if rng.random() < 0.8 else rng.randint(3, 8)
            people = set(rng.sample(range(2, PEOPLE + 1), size - 1 if reader_in else size))
            if reader_in:
                people.add(READER)
            people = sorted(people)
            key = pair_key(*people) if size == 2 else None
            if key is None or key not in pairs:
                break
        if key:
            pairs.add(key)
        members.append(people)
        rows.append({"id": cid, "is_group": size > 2, "pair_key": key, "created_by_id": people[0],
                     "created_at": START})
        parts.extend({"conversation_id": cid, "person_id": pid, "joined_at": START} for pid in people)
    session.execute(insert(Conversation), rows)
    for i in range(0, len(parts), BATCH):
        session.execute(insert(Participant), parts[i:i + BATCH])
    last: dict[int, int] = {}
    written: dict[int, list[tuple[int, int]]] = {}  # the reader's conversations: (message id, author)
    batch = []
    for mid in range(1, messages + 1):
        # A busy member's conversations are busier than average: a tenth of all messages.
        cid = rng.randint(1, READER_CONVERSATIONS) if rng.random() < 0.1 else rng.randint(1, conversations)
        last[cid] = mid
        author = rng.choice(members[cid - 1])
        if cid <= READER_CONVERSATIONS:
            written.setdefault(cid, []).append((mid, author))
        batch.append({"id": mid, "conversation_id": cid, "author_id": author, "kind": "text",
                      "body": f"Message {mid} about the rollout", "created_at": START + timedelta(seconds=mid)})
        if len(batch) >= BATCH:
            session.execute(insert(Message), batch)
            batch = []
    if batch:
        session.execute(insert(Message), batch)
    session.execute(update(Conversation), [{"id": cid, "last_message_id": mid} for cid, mid in last.items()])
    # The reader has read up to a random point of each of their conversations and blocked five
    # people they share groups with half-way through; unread counts as the app would have kept them.
    group_mates = sorted({pid for people in members[:READER_CONVERSATIONS] if len(people) > 2 for pid in people}
                         - {READER})
    blocked = set(group_mates[:5])
    session.execute(insert(Block), [{"blocker_id": READER, "blocked_id": pid, "after_message_id": messages // 2}
                                    for pid in blocked])
    markers = []
    for cid in range(1, READER_CONVERSATIONS + 1):
        read_up_to = rng.randint(0, last.get(cid, 0))
        unread = sum(1 for mid, author in written.get(cid, ()) if mid > read_up_to and author != READER
                     and not (author in blocked and mid > messages // 2))
        markers.append({"conversation_id": cid, "person_id": READER, "last_read_id": read_up_to,
                        "unread_count": unread})
    session.execute(update(Participant), markers)
    if session.bind.dialect.name == "postgresql":  # rows were inserted with their ids: move the sequences on
        from sqlalchemy import text

        session.execute(text("SELECT setval(pg_get_serial_sequence('persons', 'id'), (SELECT max(id) FROM persons))"))
        session.execute(text("SELECT setval(pg_get_serial_sequence('message_conversations', 'id'), "
                             "(SELECT max(id) FROM message_conversations))"))
        session.execute(text("SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM messages))"))
    session.commit()


def _measure(name: str, runs: int, call) -> None:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    print(f"{name:<44} median {statistics.median(timings):7.2f} ms   p95 {p95:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from portal import create_app
    from portal.db import db
    from portal.messages import services
    from portal.migrate import scratch_postgres_database, upgrade
    from portal.profiles.models import Person

    drop = None
    folder = tempfile.mkdtemp(prefix="messages-bench-")
    url = f"sqlite:///{folder}/bench.db"
    if args.database_url:
        url, drop = scratch_postgres_database(args.database_url, "portal_messages_bench")
    try:
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench",
                          "SEARCH_BACKGROUND_REBUILD": False, "MATCHING_REBUILD_SECONDS": 0})
        with app.app_context():
            started = time.perf_counter()
            session = db.new_session()
            _load(session, args.conversations, args.messages, seed=7)
            print(f"loaded {args.messages:,} messages in {args.conversations:,} conversations on "
                  f"{url.split(':')[0]} in {time.perf_counter() - started:.1f} s; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            reader = session.get(Person, READER)
            print(f"reader: {READER_CONVERSATIONS} conversations, {services.unread_total(session, READER):,} unread")
            busiest = services.inbox(session, reader).items[0].conversation.id
            _measure("unread_total (nav badge, every page)", args.runs, lambda: services.unread_total(session, READER))
            _measure("unread_counts", args.runs, lambda: services.unread_counts(session, READER))
            _measure("inbox page 1 (20 rows)", args.runs, lambda: services.inbox(session, reader))
            _measure("conversation: latest 50 messages", args.runs,
                     lambda: services.conversation_messages(session, reader, busiest))

            def send() -> None:
                with session.begin_nested() as savepoint:
                    services.post_message(session, reader, busiest, "A benchmark reply")
                    savepoint.rollback()
            _measure("post_message (rolled back)", args.runs, send)
            session.rollback()
            session.close()
    finally:
        if drop is not None:
            with app.app_context():
                db.engine.dispose()
            drop()


if __name__ == "__main__":
    main()
