"""Person profiles: creation, lookup, tags, connections.

Services flush, never commit. Visibility rules live in portal.profiles.visibility.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from portal.db import queue_event
from portal.errors import DomainError
from portal.profiles.models import (
    DEFAULT_VISIBILITY,
    PERSON_TAG_KINDS,
    Connection,
    Person,
    PersonTag,
)
from portal.profiles.visibility import Viewer, visible_fields_for
from portal.tags.models import Tag
from portal.tags.services import get_or_create_tags, parse_tag_list
from portal.text import clean_line, slugify


def unique_person_slug(session: Session, name: str) -> str:
    base = slugify(name, 60)
    slug, n = base, 1
    while session.scalar(select(Person.id).where(Person.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_person(session: Session, name: str, *, email: str | None = None, user_id: int | None = None,
                  external_id: str | None = None, company_id: int | None = None,
                  created_at: datetime | None = None, **fields: str) -> Person:
    """A new profile. `fields` are plain profile columns (headline, bio, location, region, job_title)."""
    name = clean_line(name)
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > 120:
        raise DomainError("A name can be at most 120 characters.", field="name")
    person = Person(name=name, email=email.lower() if email else None, user_id=user_id,
                    slug=unique_person_slug(session, name), company_id=company_id,
                    visibility=dict(DEFAULT_VISIBILITY))
    if created_at is not None:
        person.created_at = created_at
    for key, value in fields.items():
        if key not in {"headline", "bio", "location", "region", "job_title"}:
            raise TypeError(f"unknown profile field {key}")
        setattr(person, key, value or "")
    session.add(person)
    session.flush()
    person.external_id = external_id or f"person-{person.id}"
    session.flush()
    queue_event(session, "person.changed", {"person_id": person.id})
    return person


def person_for_user(session: Session, user_id: int) -> Person | None:
    return session.scalar(select(Person).where(Person.user_id == user_id))


def persons_by_ids(session: Session, person_ids: Iterable[int]) -> dict[int, Person]:
    """Many profiles in one query (authors of a thread page, members of a group)."""
    ids = {pid for pid in person_ids if pid is not None}
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}


def person_by_slug(session: Session, slug: str) -> Person | None:
    return session.scalar(select(Person).where(Person.slug == slug))


def person_by_email(session: Session, email: str) -> Person | None:
    return session.scalar(select(Person).where(Person.email == email.lower()))


def person_by_external_id(session: Session, external_id: str) -> Person | None:
    return session.scalar(select(Person).where(Person.external_id == external_id))


def set_person_tags(session: Session, person: Person, kind: str, names: str | Iterable[str]) -> list[Tag]:
    """Replace one kind of tags (skill, interest, offer, need) on a profile."""
    if kind not in PERSON_TAG_KINDS:
        raise ValueError(kind)
    tags = get_or_create_tags(session, parse_tag_list(names))
    session.execute(delete(PersonTag).where(PersonTag.person_id == person.id, PersonTag.kind == kind))
    for position, tag in enumerate(tags):
        session.add(PersonTag(person_id=person.id, tag_id=tag.id, kind=kind, position=position))
    session.flush()
    queue_event(session, "person.changed", {"person_id": person.id})
    return tags


def person_tags(session: Session, person_ids: Iterable[int]) -> dict[int, dict[str, list[Tag]]]:
    """Tags of several people at once, by person and kind, in the order they were entered."""
    ids = list(person_ids)
    result: dict[int, dict[str, list[Tag]]] = {pid: {k: [] for k in PERSON_TAG_KINDS} for pid in ids}
    if not ids:
        return result
    rows = session.execute(
        select(PersonTag.person_id, PersonTag.kind, Tag).join(Tag, Tag.id == PersonTag.tag_id)
        .where(PersonTag.person_id.in_(ids)).order_by(PersonTag.position))
    for person_id, kind, tag in rows:
        result[person_id][kind].append(tag)
    return result


def connect(session: Session, a: Person, b: Person, created_at: datetime | None = None) -> bool:
    """Record a mutual connection; returns False if it existed already."""
    if a.id == b.id:
        raise DomainError("You cannot connect with yourself.")
    low, high = sorted((a.id, b.id))
    if session.get(Connection, (low, high)) is not None:
        return False
    connection = Connection(person_a_id=low, person_b_id=high)
    if created_at is not None:
        connection.created_at = created_at
    session.add(connection)
    session.flush()
    queue_event(session, "connection.created", {"person_ids": [low, high]})
    return True


def are_connected(session: Session, a_id: int, b_id: int) -> bool:
    low, high = sorted((a_id, b_id))
    return session.get(Connection, (low, high)) is not None


def connection_ids(session: Session, person_id: int) -> set[int]:
    rows = session.execute(select(Connection.person_a_id, Connection.person_b_id).where(
        or_(Connection.person_a_id == person_id, Connection.person_b_id == person_id)))
    return {b if a == person_id else a for a, b in rows}


def set_company_membership(session: Session, person: Person, company_id: int | None, *,
                           role: str = "member", status: str = "active") -> None:
    """Attach a person to a company (or detach with company_id None). Companies call this."""
    if role not in {"member", "admin"} or status not in {"active", "pending"}:
        raise ValueError((role, status))
    person.company_id = company_id
    person.company_role = role if company_id else "member"
    person.membership_status = status if company_id else "active"
    session.flush()
    queue_event(session, "person.changed", {"person_id": person.id})


def person_cards(session: Session, persons: list[Person], viewer: Viewer) -> list[dict]:
    """What a list (directory, home, tag page) shows of each person, honouring visibility.

    Three queries for the whole list (tags, companies), whatever its length.
    """
    from portal.companies.services import company_summaries

    tags = person_tags(session, [p.id for p in persons])
    companies = company_summaries(
        session, [p.company_id for p in persons if p.company_id and p.membership_status == "active"])
    cards = []
    for person in persons:
        visible = visible_fields_for(person, viewer)
        own = tags[person.id]
        cards.append({
            "person": person,
            "company": companies.get(person.company_id) if person.membership_status == "active" else None,
            "headline": person.headline if "headline" in visible else "",
            "job_title": person.job_title if "job_title" in visible else "",
            "location": person.location if "location" in visible else "",
            "offers": own["offer"] if "offers" in visible else [],
            "needs": own["need"] if "needs" in visible else [],
            "skills": own["skill"] if "skills" in visible else [],
        })
    return cards


PERSON_FIELD_LIMITS = {"name": 120, "email": 254, "headline": 160, "bio": 20000, "location": 120, "region": 80,
                       "job_title": 120}


def update_person_fields(session: Session, person: Person, **fields) -> list[str]:
    """Set plain profile fields (name, email, headline, bio, location, region, job_title, created_at,
    visibility); returns the names of the fields that changed. Importers and generators call this."""
    from portal.profiles.models import PRIVATE_FIELDS, VISIBILITY_LEVELS

    changed: list[str] = []
    for key, value in fields.items():
        if key in PERSON_FIELD_LIMITS:
            value = value or ""
            if key == "name":
                value = clean_line(value)
                if not value:
                    raise DomainError("Please enter a name.", field="name")
            elif key == "email":
                value = value.strip().lower() or None
                if value and session.scalar(select(Person.id).where(Person.email == value, Person.id != person.id)):
                    raise DomainError("Another profile already uses this email address.", field="email")
            if value and len(value) > PERSON_FIELD_LIMITS[key]:
                raise DomainError(f"The {key.replace('_', ' ')} can be at most {PERSON_FIELD_LIMITS[key]} characters.",
                                  field=key)
        elif key == "created_at":
            if value is None:
                continue
        elif key == "visibility":
            if not isinstance(value, dict) or any(
                    k not in PRIVATE_FIELDS or v not in VISIBILITY_LEVELS for k, v in value.items()):
                raise DomainError("Unknown visibility setting.", field="visibility")
            value = {**(person.visibility or {}), **value}
        else:
            raise TypeError(f"unknown profile field {key}")
        if getattr(person, key) != value:
            setattr(person, key, value)
            changed.append(key)
    if changed:
        session.flush()
        queue_event(session, "person.changed", {"person_id": person.id})
    return changed


def people_with_tag(session: Session, tag_id: int, viewer: Viewer, limit: int = 60) -> dict[str, list[Person]]:
    """People using a tag, by kind, counting only kinds whose field the viewer may see."""
    from portal.profiles.models import TAG_KIND_FIELDS
    from portal.profiles.visibility import level_allows

    rows = session.execute(select(Person, PersonTag.kind).join(PersonTag, PersonTag.person_id == Person.id)
                           .where(PersonTag.tag_id == tag_id).order_by(Person.name, Person.id))
    result: dict[str, list[Person]] = {kind: [] for kind in PERSON_TAG_KINDS}
    for person, kind in rows:
        level = (person.visibility or {}).get(TAG_KIND_FIELDS[kind], "members")
        if len(result[kind]) < limit and level_allows(level, person.id, viewer):
            result[kind].append(person)
    return result
