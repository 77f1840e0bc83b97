"""Tag names in bulk, for features that keep tag ids (the matching graph) and need labels."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.tags.models import Tag


def tag_names(session: Session, tag_ids: Iterable[int] | None = None) -> dict[int, str]:
    stmt = select(Tag.id, Tag.name)
    if tag_ids is not None:
        ids = list(set(tag_ids))
        if not ids:
            return {}
        stmt = stmt.where(Tag.id.in_(ids))
    return dict(session.execute(stmt).all())
