"""Editing a profile: validation of every field first, then one write (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.db import queue_event
from portal.errors import DomainError
from portal.profiles.models import (
    PRIVATE_FIELDS,
    REGIONS,
    TAG_KIND_FIELDS,
    VISIBILITY_LEVELS,
    Person,
    PersonLink,
)
from portal.profiles.services import set_person_tags
from portal.tags.services import parse_tag_list
from portal.text import clean_line, clean_text

MAX_LINKS = 5
LIMITS = {"name": 120, "headline": 160, "bio": 5000, "location": 120, "job_title": 120}


@dataclass
class ProfileFields:
    """What the edit form sends, as plain values."""

    name: str
    headline: str = ""
    bio: str = ""
    location: str = ""
    region: str = ""
    job_title: str = ""
    skills: str = ""
    interests: str = ""
    offers: str = ""
    needs: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    visibility: dict[str, str] = field(default_factory=dict)


def safe_link_url(raw: str) -> str:
    """An http(s) URL with a host, or a DomainError (javascript:, data: and friends are refused)."""
    url = clean_line(raw)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise DomainError("Links must start with http:// or https://.", field="links")
    if len(url) > 300:
        raise DomainError("A link can be at most 300 characters.", field="links")
    return url


def _links(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    links = []
    for label, url in pairs:
        label, url = clean_line(label), clean_line(url)
        if not label and not url:
            continue
        if not url:
            raise DomainError("Please add the URL for each link, or clear its label.", field="links")
        if len(label) > 60:
            raise DomainError("A link label can be at most 60 characters.", field="links")
        url = safe_link_url(url)
        links.append((label or urlsplit(url).netloc, url))
    if len(links) > MAX_LINKS:
        raise DomainError(f"At most {MAX_LINKS} links.", field="links")
    return links


def _tag_lists(fields: ProfileFields) -> dict[str, list[str]]:
    lists = {}
    for kind, name in TAG_KIND_FIELDS.items():
        try:
            lists[kind] = parse_tag_list(getattr(fields, name) or "")
        except DomainError as error:
            raise DomainError(error.message, field=name) from None
    return lists


def update_profile(session: Session, person: Person, fields: ProfileFields) -> Person:
    """Check every field, then write them all; a DomainError (with its field) leaves nothing changed."""
    values = {
        "name": clean_line(fields.name), "headline": clean_line(fields.headline), "bio": clean_text(fields.bio),
        "location": clean_line(fields.location), "job_title": clean_line(fields.job_title),
    }
    if not values["name"]:
        raise DomainError("Please enter your name.", field="name")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            raise DomainError(f"At most {limit} characters.", field=name)
    region = clean_line(fields.region)
    if region and region not in REGIONS:
        raise DomainError("Please choose a region from the list.", field="region")
    visibility = dict(person.visibility or {})
    for name, level in fields.visibility.items():
        if name not in PRIVATE_FIELDS or level not in VISIBILITY_LEVELS:
            raise DomainError("Please choose who may see each field from the list.", field=f"vis_{name}")
        visibility[name] = level
    tag_lists = _tag_lists(fields)
    links = _links(fields.links)

    for name, value in values.items():
        setattr(person, name, value)
    person.region = region
    person.visibility = visibility
    for kind, names in tag_lists.items():
        set_person_tags(session, person, kind, names)
    set_person_links(session, person, links)
    session.flush()
    queue_event(session, "person.changed", {"person_id": person.id})
    return person


def set_person_links(session: Session, person: Person, links: list[tuple[str, str]]) -> None:
    """Replace a person's links with these (label, url) pairs, already checked."""
    session.execute(delete(PersonLink).where(PersonLink.person_id == person.id))
    for position, (label, url) in enumerate(links):
        session.add(PersonLink(person_id=person.id, label=label, url=url, position=position))
    session.flush()


def person_links(session: Session, person_id: int) -> list[PersonLink]:
    return list(session.scalars(select(PersonLink).where(PersonLink.person_id == person_id)
                                .order_by(PersonLink.position)))
