"""Bulk writes for the demo generator only.

The services set tags and connections one statement at a time (~15 s for the full demo);
on a fresh ecosystem the same rows can be inserted in a few statements. The rows are exactly
what `set_person_tags`, `set_company_tags` and `connect` would write, and the same events are
queued, so subscribers (search, graph) see no difference.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from portal.companies.models import CompanyTag
from portal.db import queue_event
from portal.profiles.models import Connection, PersonTag
from portal.tags.services import find_tag, get_or_create_tags


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
