"""Tags: normalization, lookup, suggestions, merging synonyms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.errors import DomainError
from portal.tags.models import Tag, TagAlias
from portal.text import clean_line

MAX_TAG_LENGTH = 64
MAX_TAGS_PER_KIND = 30
# Keep characters that carry meaning in tech names: C++, C#, .NET, Node.js, S/4HANA.
_STRIP = re.compile(r"[^\w\s+#./&-]", re.UNICODE)


def normalize_tag_key(raw: str) -> str:
    """The lookup key: case-folded, NFKC, punctuation trimmed, single spaces.

    "SAP  Consulting", "sap consulting!" and "SAP-consulting" are one tag.
    """
    value = unicodedata.normalize("NFKC", raw or "").casefold()
    value = _STRIP.sub(" ", value)
    value = re.sub(r"[\s_-]+", " ", value)
    return value.strip(" ./&")[:MAX_TAG_LENGTH].strip()


def display_name(raw: str) -> str:
    """How a new tag is shown: the person's spelling, tidied."""
    return clean_line(_STRIP.sub(" ", unicodedata.normalize("NFKC", raw or "")))[:MAX_TAG_LENGTH].strip(" ./&")


def parse_tag_list(raw: str | Iterable[str]) -> list[str]:
    """Split a comma-separated field (or take a list), drop empties and duplicates, keep order."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    seen: set[str] = set()
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise DomainError("Tags must be text.")
        if len(item.strip()) > MAX_TAG_LENGTH:
            raise DomainError(f"A tag can be at most {MAX_TAG_LENGTH} characters: {item.strip()[:20]}…")
        key = normalize_tag_key(item)
        if key and key not in seen:
            seen.add(key)
            names.append(display_name(item))
    if len(names) > MAX_TAGS_PER_KIND:
        raise DomainError(f"At most {MAX_TAGS_PER_KIND} tags per list.")
    return names


def find_tag(session: Session, raw: str) -> Tag | None:
    key = normalize_tag_key(raw)
    if not key:
        return None
    tag = session.scalar(select(Tag).where(Tag.key == key))
    if tag is None:
        alias = session.get(TagAlias, key)
        if alias is not None:
            tag = session.get(Tag, alias.tag_id)
    return tag


def get_or_create_tags(session: Session, names: Iterable[str]) -> list[Tag]:
    """Tags for these names, creating the missing ones; synonyms resolve to their merged tag."""
    tags: list[Tag] = []
    seen: set[int] = set()
    for name in names:
        tag = find_tag(session, name)
        if tag is None:
            key = normalize_tag_key(name)
            if not key:
                continue
            tag = Tag(key=key, name=display_name(name) or key)
            session.add(tag)
            session.flush()
        if tag.id not in seen:
            seen.add(tag.id)
            tags.append(tag)
    return tags


def suggest_tags(session: Session, prefix: str, limit: int = 10) -> list[Tag]:
    """Existing tags whose key starts with (then contains) the typed text, for autocomplete."""
    key = normalize_tag_key(prefix)
    if not key:
        return []
    pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    starts = list(session.scalars(
        select(Tag).where(Tag.key.like(pattern + "%", escape="\\")).order_by(func.length(Tag.key), Tag.key)
        .limit(limit)))
    if len(starts) < limit:
        ids = [t.id for t in starts]
        starts += list(session.scalars(
            select(Tag).where(Tag.key.like("%" + pattern + "%", escape="\\"), Tag.id.not_in(ids or [0]))
            .order_by(Tag.key).limit(limit - len(starts))))
    return starts
