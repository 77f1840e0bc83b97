"""Bulk reads and writes for the demo generator only.

The services set tags and connections one statement at a time (~15 s for the full demo), and
`follow` checks and flushes each follow; on a fresh ecosystem the same rows can be inserted in a
few statements. The rows are exactly what `set_person_tags`, `set_company_tags`, `connect` and
`follow` would write, and the same events are queued (follows queue none), so subscribers
(search, graph, feeds) see no difference. Records the importer made are looked up by external id
with one query per 500 ids rather than one each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.companies.models import Company, CompanyTag
from portal.db import queue_event
from portal.feeds.models import Follow
from portal.profiles.models import Connection, Person, PersonTag
from portal.tags.services import find_tag, get_or_create_tags

CHUNK = 500  # values per IN list: SQLite limits bound parameters per statement


def by_external_id(session: Session, model: type[Person] | type[Company], external_ids: Iterable[str]) -> dict:
    """External id → the person (or company) the importer made for it, in a query per 500 ids
    instead of one per record."""
    wanted = sorted(set(external_ids))
    return {row.external_id: row for start in range(0, len(wanted), CHUNK)
            for row in session.scalars(select(model).where(model.external_id.in_(wanted[start:start + CHUNK])))}


def tag_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Tag id of every name (creating the missing tags)."""
    distinct = list(dict.fromkeys(names))
    get_or_create_tags(session, distinct)
    return {name: find_tag(session, name).id for name in distinct}


def _rows(owner_key: str, owner_id: int, kind: str, names: list[str], ids: dict[str, int]) -> list[dict]:
    rows, seen = [], set()
    for name in names:
        tag_id = ids[name]
        if tag_id not in seen:
            seen.add(tag_id)
            rows.append({owner_key: owner_id, "tag_id": tag_id, "kind": kind, "position": len(rows)})
    return rows


def insert_person_tags(session: Session, tags: dict[int, dict[str, list[str]]], ids: dict[str, int]) -> None:
    """tags: person id → kind → names, for people who have no tags yet."""
    rows = [row for person_id, kinds in tags.items() for kind, names in kinds.items()
            for row in _rows("person_id", person_id, kind, names, ids)]
    if rows:
        session.execute(insert(PersonTag), rows)
    for person_id in tags:
        queue_event(session, "person.changed", {"person_id": person_id})


def insert_company_tags(session: Session, tags: dict[int, dict[str, list[str]]], ids: dict[str, int]) -> None:
    rows = [row for company_id, kinds in tags.items() for kind, names in kinds.items()
            for row in _rows("company_id", company_id, kind, names, ids)]
    if rows:
        session.execute(insert(CompanyTag), rows)
    for company_id in tags:
        queue_event(session, "company.changed", {"company_id": company_id})


def insert_connections(session: Session, pairs: Iterable[tuple[int, int, datetime | None]]) -> int:
    """New mutual connections between people who are not connected yet."""
    rows = []
    for a, b, created_at in pairs:
        low, high = sorted((a, b))
        row = {"person_a_id": low, "person_b_id": high}
        if created_at is not None:
            row["created_at"] = created_at
        rows.append(row)
    if rows:
        session.execute(insert(Connection), rows)
    for row in rows:
        queue_event(session, "connection.created", {"person_ids": [row["person_a_id"], row["person_b_id"]]})
    session.flush()
    return len(rows)


def insert_follows(session: Session, follows: Iterable[tuple[int, str, int]]) -> Counter:
    """(person id, target kind, target id) follows, in a few statements; what `follow` writes, and
    like it idempotent (it queues no events). Returns the new follows counted by target kind."""
    wanted = list(dict.fromkeys(follows))
    people = sorted({person_id for person_id, _, _ in wanted})
    existing = {tuple(row) for start in range(0, len(people), CHUNK) for row in session.execute(
        select(Follow.person_id, Follow.target_kind, Follow.target_id)
        .where(Follow.person_id.in_(people[start:start + CHUNK])))}
    rows = [{"person_id": person_id, "target_kind": kind, "target_id": target_id}
            for person_id, kind, target_id in wanted if (person_id, kind, target_id) not in existing]
    if rows:
        session.execute(insert(Follow), rows)
    return Counter(row["target_kind"] for row in rows)
