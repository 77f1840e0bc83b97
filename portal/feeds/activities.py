"""Activities from other features' after-commit events: forum threads, replies and accepted
answers, accepted introductions, new connections, partnerships started and ended.

One batch handler per commit (events.subscribe_batch): a bulk import or `portal demo` commits
thousands of events together, and this reads what they are about with a few IN queries and
writes all their activities with one flush, in a new session after the commit.

Privacy: a forum activity has its category's audience (public, members, or the private group's
members). Profiles show who someone is connected to only as a count, so an accepted introduction
or a new connection is recorded for the two people themselves (`audience`), never broadcast to
their followers.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import events
from portal.db import utcnow
from portal.feeds.models import Activity, ActivityTarget
from portal.feeds.services import ActivitySpec, record_activities

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    events.subscribe_batch(on_commit)


def path_for(endpoint: str, **values) -> str:
    """A site path for an endpoint outside any request (handlers run after commit)."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT", "/"))
    return adapter.build(endpoint, values)


def on_commit(batch: list[dict]) -> None:
    from portal.db import db

    wanted = {"forum.post.changed", "forum.thread.changed", "forum.answer.accepted", "introduction.changed",
              "connection.created", "partnership.changed"}
    batch = [e for e in batch if e.get("event") in wanted]
    if not batch:
        return
    session = db.new_session(writes=True)
    try:
        handle_events(session, batch)
        session.commit()
    except Exception:  # noqa: BLE001 - the change itself is committed; only its feed entry is lost
        session.rollback()
        log.exception("recording feed activities failed")
    finally:
        session.close()


def handle_events(session: Session, batch: list[dict]) -> list[Activity]:
    from portal.feeds import forum_activities

    specs: list[ActivitySpec] = []
    new_posts = [int(e["post_id"]) for e in batch if e["event"] == "forum.post.changed" and e.get("created")]
    changed_posts = {int(e["post_id"]) for e in batch if e["event"] == "forum.post.changed"
                     and not e.get("created")} - set(new_posts)
    specs += forum_activities.new_post_specs(session, new_posts)
    specs += forum_activities.accepted_answer_specs(
        session, [(int(e["thread_id"]), int(e["post_id"])) for e in batch if e["event"] == "forum.answer.accepted"])
    pairs: dict[tuple[int, int], int | None] = {}  # (a, b) → accepted introduction id, or None
    for event in batch:
        if event["event"] == "introduction.changed" and event.get("status") == "accepted":
            a_id, b_id = sorted(int(p) for p in event["person_ids"])
            pairs[(a_id, b_id)] = int(event["introduction_id"])
    for event in batch:
        if event["event"] == "connection.created":
            a_id, b_id = sorted(int(p) for p in event["person_ids"])
            pairs.setdefault((a_id, b_id), None)
    specs += _pair_specs(session, pairs)
    for event in batch:
        if event["event"] == "partnership.changed" and event.get("status") in ("active", "ended"):
            specs += _partnership_specs(session, int(event["partnership_id"]), event["status"],
                                        [int(c) for c in event.get("company_ids", [])])
    activities = record_activities(session, _not_recorded_yet(session, [s for s in specs if s is not None]))
    # A thread opened in this very commit already has its audience: only older ones are re-read.
    new_threads = {int(e["thread_id"]) for e in batch if e["event"] == "forum.post.changed" and e.get("created")}
    threads = {int(e["thread_id"]) for e in batch if e["event"] == "forum.thread.changed"} - new_threads
    forum_activities.refresh_audience(session, changed_posts, threads)
    return activities


def _not_recorded_yet(session: Session, specs: list[ActivitySpec]) -> list[ActivitySpec]:
    """Drop what is already in the feed (a re-run import accepts the same answer again)."""
    keys = [s.source_key for s in specs if s.source_key]
    known = set(chunked_scalars(session, select(Activity.source_key), Activity.source_key, keys))
    seen: set[str] = set()
    fresh = []
    for spec in specs:
        if spec.source_key in known or spec.source_key in seen:
            continue
        if spec.source_key:
            seen.add(spec.source_key)
        fresh.append(spec)
    return fresh


def chunked_scalars(session: Session, stmt, column, values: list) -> list:
    """`stmt.where(column IN values)` in chunks (SQLite limits bound parameters per statement)."""
    return [value for chunk in chunks(values) for value in session.scalars(stmt.where(column.in_(chunk)))]


def _pair_specs(session: Session, pairs: dict[tuple[int, int], int | None]) -> list[ActivitySpec]:
    """New connections (and accepted introductions), each shown only to its two people."""
    from portal.profiles.services import persons_by_ids

    people = persons_by_ids(session, {pid for pair in pairs for pid in pair})
    specs = []
    for (a_id, b_id), introduction_id in sorted(pairs.items()):
        if a_id not in people or b_id not in people:
            continue
        a, b = people[a_id], people[b_id]
        if introduction_id is not None:
            title = f"{a.name} and {b.name} accepted an introduction and are now connected"
            url = path_for("introductions.show", introduction_id=introduction_id)
            key = f"introduction:{introduction_id}"
        else:
            title, url, key = f"{a.name} and {b.name} are now connected", "", f"connection:{a_id}:{b_id}"
        verb = "introduction.accepted" if introduction_id is not None else "connection.created"
        specs.append(ActivitySpec(verb=verb, title=title, url=url, targets=[("person", a_id), ("person", b_id)],
                                  audience=[a_id, b_id], source_key=key))
    return specs


def _partnership_specs(session: Session, partnership_id: int, status: str,
                       company_ids: list[int]) -> list[ActivitySpec]:
    """One activity in each company's feed (a company feed shows what its company_id names)."""
    from portal.errors import NotFound
    from portal.partnerships.models import PARTNERSHIP_KINDS
    from portal.partnerships.services import partnership_for

    if not company_ids:
        return []
    try:
        partnership = partnership_for(session, company_ids[0], partnership_id).partnership
    except NotFound:
        return []
    verb = "partnership.started" if status == "active" else "partnership.ended"
    kind = PARTNERSHIP_KINDS.get(partnership.kind, partnership.kind).lower()
    specs = []
    for company_id in partnership.company_ids:
        row = partnership_for(session, company_id, partnership_id)
        article = "an" if kind[:1] in "aeiou" else "a"
        title = (f"Started {article} {kind} partnership with {row.other_name}" if status == "active"
                 else f"Ended the {kind} partnership with {row.other_name}")
        actor = partnership.answered_by_id if status == "active" else partnership.ended_by_id
        specs.append(ActivitySpec(
            verb=verb, title=title, url=path_for("companies.show", slug=row.other_slug) if row.other_slug else "",
            targets=[("company", partnership.other_company_id(company_id))], company_id=company_id,
            actor_company_id=company_id, actor_person_id=actor if actor and company_id in _company_of(
                session, actor) else None,
            source_key=f"partnership:{partnership_id}:{status}:{company_id}"))
    return specs


def _company_of(session: Session, person_id: int) -> set[int]:
    from portal.profiles.services import persons_by_ids

    person = persons_by_ids(session, [person_id]).get(person_id)
    return {person.company_id} if person and person.company_id else set()


CHUNK = 500  # ids per IN list: SQLite limits bound parameters per statement


def chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def hide_activities(session: Session, source_keys: list[str], hidden: bool) -> None:
    for chunk in chunks(source_keys):
        session.execute(update(Activity).where(Activity.source_key.in_(chunk))
                        .values(hidden_at=utcnow() if hidden else None))


def set_group(session: Session, activity_ids: list[int], group_id: int | None, members_only: bool) -> None:
    for chunk in chunks(activity_ids):
        session.execute(update(Activity).where(Activity.id.in_(chunk))
                        .values(group_id=group_id, members_only=members_only))
        session.execute(update(ActivityTarget).where(ActivityTarget.activity_id.in_(chunk))
                        .values(group_id=group_id))


def activity_ids_for(session: Session, source_keys: list[str]) -> list[int]:
    return chunked_scalars(session, select(Activity.id), Activity.source_key, source_keys)
