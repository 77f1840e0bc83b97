"""What the home page and the admin console show about the ecosystem as a whole (read-only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.companies.models import Company, CompanyTag
from portal.profiles.models import MEMBERS, Person, PersonTag
from portal.profiles.visibility import Viewer, level_allows
from portal.tags.models import Tag

PERSON_KIND_FIELDS = {"offer": "offers", "need": "needs"}


@dataclass
class Numbers:
    people: int
    companies: int
    verified_companies: int
    tags: int
    accounts: int

    @property
    def empty(self) -> bool:
        return not (self.people or self.companies)


def ecosystem_numbers(session: Session) -> Numbers:
    def count(stmt) -> int:
        return session.scalar(stmt) or 0

    return Numbers(
        people=count(select(func.count()).select_from(Person)),
        companies=count(select(func.count()).select_from(Company)),
        verified_companies=count(select(func.count()).select_from(Company).where(Company.verified_at.is_not(None))),
        tags=count(select(func.count()).select_from(Tag)),
        accounts=count(select(func.count()).select_from(User)),
    )


def newest_companies(session: Session, limit: int = 6) -> list[Company]:
    return list(session.scalars(select(Company).order_by(Company.created_at.desc(), Company.id.desc()).limit(limit)))


def newest_people(session: Session, limit: int = 6) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.created_at.desc(), Person.id.desc()).limit(limit)))


def popular_tags(session: Session, viewer: Viewer, kind: str, limit: int = 12) -> list[tuple[Tag, int]]:
    """The most used offer (or need) tags of companies and people; a person's tags count only when
    this viewer may see them, so hidden needs never surface through the home page."""
    counts: Counter[int] = Counter(dict(session.execute(
        select(CompanyTag.tag_id, func.count()).where(CompanyTag.kind == kind).group_by(CompanyTag.tag_id)).all()))
    rows = session.execute(select(PersonTag.tag_id, Person.id, Person.visibility).join(
        Person, Person.id == PersonTag.person_id).where(PersonTag.kind == kind))
    field = PERSON_KIND_FIELDS[kind]
    for tag_id, person_id, visibility in rows:
        if level_allows((visibility or {}).get(field, MEMBERS), person_id, viewer):
            counts[tag_id] += 1
    top = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
    tags = {t.id: t for t in session.scalars(select(Tag).where(Tag.id.in_([tag_id for tag_id, _ in top] or [0])))}
    return [(tags[tag_id], n) for tag_id, n in top if tag_id in tags]
