"""Bulk reads of profiles for the matching graph and ecosystem health (one query per kind, no N+1).

Other features read people, their tags and their connections through these functions instead of
the profile tables. Every function takes an optional `person_ids` filter so that an incremental
update re-reads only the few people an event touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.profiles.models import MEMBERS, MEMBERSHIP_ACTIVE, TAG_KIND_FIELDS, Connection, Person, PersonTag


@dataclass(frozen=True)
class PersonRow:
    id: int
    user_id: int | None
    company_id: int | None  # only an active membership counts; a pending request is not "works at"
    region: str
    created_at: datetime


@dataclass(frozen=True)
class PersonTagRow:
    person_id: int
    tag_id: int
    kind: str  # skill, interest, offer, need
    level: str  # visibility level of the field that governs this kind (public, members, connections)


def _ids(values: Iterable[int] | None) -> list[int] | None:
    return None if values is None else list(values)


def person_rows(session: Session, *, person_ids: Iterable[int] | None = None,
                until: datetime | None = None) -> list[PersonRow]:
    """People (created before `until` when given)."""
    stmt = select(Person.id, Person.user_id, Person.company_id, Person.membership_status, Person.region,
                  Person.created_at)
    ids = _ids(person_ids)
    if ids is not None:
        stmt = stmt.where(Person.id.in_(ids))
    if until is not None:
        stmt = stmt.where(Person.created_at < until)
    return [PersonRow(pid, user_id, company_id if status == MEMBERSHIP_ACTIVE else None, region or "", created)
            for pid, user_id, company_id, status, region, created in session.execute(stmt)]


def person_tag_rows(session: Session, *, person_ids: Iterable[int] | None = None) -> list[PersonTagRow]:
    """Profile tags with the visibility level of their field, so readers can honour it."""
    # Visibility is JSON: read it once per person, not once per tag row (300k decodes at 100k people).
    levels_stmt = select(Person.id, Person.visibility)
    stmt = select(PersonTag.person_id, PersonTag.tag_id, PersonTag.kind)
    ids = _ids(person_ids)
    if ids is not None:
        levels_stmt = levels_stmt.where(Person.id.in_(ids))
        stmt = stmt.where(PersonTag.person_id.in_(ids))
    visibility_of = {person_id: visibility or {} for person_id, visibility in session.execute(levels_stmt)}
    rows = []
    for person_id, tag_id, kind in session.execute(stmt):
        level = visibility_of.get(person_id, {}).get(TAG_KIND_FIELDS.get(kind, ""), MEMBERS)
        rows.append(PersonTagRow(person_id, tag_id, kind, level))
    return rows


def connection_rows(session: Session, *, person_ids: Iterable[int] | None = None,
                    until: datetime | None = None) -> list[tuple[int, int, datetime]]:
    """Connections as (low id, high id, created_at), optionally only those touching `person_ids`."""
    stmt = select(Connection.person_a_id, Connection.person_b_id, Connection.created_at)
    ids = _ids(person_ids)
    if ids is not None:
        stmt = stmt.where(or_(Connection.person_a_id.in_(ids), Connection.person_b_id.in_(ids)))
    if until is not None:
        stmt = stmt.where(Connection.created_at < until)
    return [(a, b, at) for a, b, at in session.execute(stmt)]


def person_names(session: Session, person_ids: Iterable[int]) -> dict[int, tuple[str, str, str | None]]:
    """person id → (name, slug, external id): what a list of names with links needs, in one query."""
    ids = list(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.name, Person.slug, Person.external_id)
                           .where(Person.id.in_(ids)))
    return {pid: (name, slug, external_id) for pid, name, slug, external_id in rows}


def person_ids_of_users(session: Session, user_ids: Iterable[int]) -> dict[int, int]:
    """user id → person id."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    return dict(session.execute(select(Person.user_id, Person.id).where(Person.user_id.in_(ids))).all())
