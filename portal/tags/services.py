"""Tags: normalization, lookup, suggestions, merging synonyms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import Select, delete, func, select, union_all, update
from sqlalchemy.orm import Session

from portal.db import queue_event
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


def _uses():
    """Every use of a tag by a person or a company, as one (tag_id) column."""
    from portal.companies.models import CompanyTag
    from portal.profiles.models import PersonTag

    return union_all(select(PersonTag.tag_id.label("tag_id")), select(CompanyTag.tag_id.label("tag_id"))).subquery()


def tag_usage(session: Session, tag_ids: Iterable[int] | None = None) -> dict[int, int]:
    """How many people and companies use each tag (all kinds together); tags without uses are absent."""
    uses = _uses()
    stmt = select(uses.c.tag_id, func.count()).group_by(uses.c.tag_id)
    if tag_ids is not None:
        ids = list(tag_ids)
        if not ids:
            return {}
        stmt = stmt.where(uses.c.tag_id.in_(ids))
    return {tag_id: count for tag_id, count in session.execute(stmt)}


def popular_tags_statement(prefix: str = "") -> Select:
    """(Tag, uses) rows, most used first, optionally narrowed to keys starting with `prefix`."""
    uses = _uses()
    counts = select(uses.c.tag_id, func.count().label("uses")).group_by(uses.c.tag_id).subquery()
    count = func.coalesce(counts.c.uses, 0)
    stmt = select(Tag, count.label("uses")).outerjoin(counts, counts.c.tag_id == Tag.id)
    key = normalize_tag_key(prefix)
    if key:
        pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Tag.key.like(pattern + "%", escape="\\"))
    return stmt.order_by(count.desc(), Tag.key)


def merge_tags(session: Session, source: Tag, target: Tag) -> Tag:
    """Fold `source` into `target`: its uses move over (duplicates collapse), its key becomes an alias.

    Tags own tag identity, so this one cross-table update of person, company and forum thread
    tags lives here (a thread's tag would otherwise vanish with the source tag's row).
    """
    from portal.companies.models import CompanyTag
    from portal.forums.models import ThreadTag
    from portal.profiles.models import PersonTag

    if source.id == target.id:
        raise DomainError("A tag cannot be merged into itself.")
    changed: dict[str, set[int]] = {"person": set(), "company": set()}
    for name, model, owner in (("person", PersonTag, PersonTag.person_id),
                               ("company", CompanyTag, CompanyTag.company_id)):
        # Owners that have the target already (same kind) just lose the source; others move over.
        rows = session.execute(select(owner, model.kind).where(model.tag_id == source.id)).all()
        existing = set(session.execute(select(owner, model.kind).where(model.tag_id == target.id)).all())
        for owner_id, kind in rows:
            changed[name].add(owner_id)
            where = (owner == owner_id, model.kind == kind, model.tag_id == source.id)
            if (owner_id, kind) in existing:
                session.execute(delete(model).where(*where))
            else:
                session.execute(update(model).where(*where).values(tag_id=target.id))
    threads = set(session.scalars(select(ThreadTag.thread_id).where(ThreadTag.tag_id == source.id)))
    tagged_already = set(session.scalars(select(ThreadTag.thread_id).where(ThreadTag.tag_id == target.id,
                                                                           ThreadTag.thread_id.in_(threads))))
    session.execute(delete(ThreadTag).where(ThreadTag.tag_id == source.id, ThreadTag.thread_id.in_(tagged_already)))
    session.execute(update(ThreadTag).where(ThreadTag.tag_id == source.id).values(tag_id=target.id))
    session.execute(update(TagAlias).where(TagAlias.tag_id == source.id).values(tag_id=target.id))
    if session.get(TagAlias, source.key) is None:
        session.add(TagAlias(key=source.key, tag_id=target.id))
    session.flush()
    session.delete(source)
    session.flush()
    queue_event(session, "tag.merged", {"source_key": source.key, "target_id": target.id})
    for person_id in sorted(changed["person"]):
        queue_event(session, "person.changed", {"person_id": person_id})
    for company_id in sorted(changed["company"]):
        queue_event(session, "company.changed", {"company_id": company_id})
    for thread_id in sorted(threads):
        queue_event(session, "forum.thread.changed", {"thread_id": thread_id})
    return target
