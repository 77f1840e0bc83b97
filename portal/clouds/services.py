"""Reading clouds: a person's, a company's, a category's and the ecosystem's, for one viewer.

A viewer's cloud merges only the scopes they may read (`viewer_scopes`) and, for profile tags,
only the kinds of tags `visible_fields_for` lets them see; document frequencies come from the
same readable scopes, so not even a weight depends on content the viewer may not read.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.clouds.cache import CloudCache
from portal.clouds.indexer import category_bucket, tag_scope
from portal.clouds.models import BucketTerm, PersonTerm
from portal.clouds.terms import tag_key
from portal.clouds.weighting import PROFILE_TAG_WEIGHT, CloudTerm, damped, decay_factor, size_steps, tfidf
from portal.db import utcnow
from portal.forums.access import category_scope, viewer_scopes
from portal.forums.models import Category
from portal.profiles.models import MEMBERSHIP_ACTIVE, PERSON_TAG_KINDS, TAG_KIND_FIELDS, Person
from portal.profiles.visibility import Viewer, visible_fields_for

ALL_TAG_SCOPES = tuple(tag_scope(kind) for kind in PERSON_TAG_KINDS)
BUCKET_TERMS_READ = 200  # strongest terms read per bucket for category and ecosystem clouds
CANDIDATES_PER_TERM = 5  # terms weighed with IDF per term shown


def _no_cache() -> CloudCache:
    return CloudCache(ttl=0)


def visible_tag_scopes(person: Person, viewer: Viewer) -> tuple[str, ...]:
    visible = visible_fields_for(person, viewer)
    return tuple(tag_scope(kind) for kind, field in TAG_KIND_FIELDS.items() if field in visible)


def _people_total(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Person)) or 0


def _document_frequencies(session: Session, buckets: Iterable[str], terms: Iterable[str]) -> dict[str, int]:
    """How many people (per readable scope, summed) use each term."""
    terms, buckets = list(terms), list(buckets)
    frequencies: dict[str, int] = {}
    for start in range(0, len(terms), 500):
        rows = session.execute(select(BucketTerm.term, func.sum(BucketTerm.people)).where(
            BucketTerm.bucket.in_(buckets), BucketTerm.term.in_(terms[start:start + 500])).group_by(BucketTerm.term))
        frequencies.update({term: int(people or 0) for term, people in rows})
    return frequencies


class _Merged:
    """Term weights (as of now) merged from several sources, with the label of the strongest source."""

    def __init__(self) -> None:
        self.weights: dict[str, float] = {}
        self.labels: dict[str, tuple[float, str]] = {}

    def add(self, key: str, weight: float, label: str) -> None:
        if weight <= 0:
            return
        self.weights[key] = self.weights.get(key, 0.0) + weight
        if weight > self.labels.get(key, (0.0, ""))[0]:
            self.labels[key] = (weight, label)

    def add_person_rows(self, rows: Iterable, decay: float) -> None:
        for scope, term, weight, display in rows:
            self.add(term, weight if scope.startswith("tag:") else weight * decay, display)

    def ranked(self, session: Session, df_buckets: Iterable[str], limit: int) -> list[CloudTerm]:
        # IDF moves a term by a factor of ten at most (ln N + 1 against 1): a term far down by weight
        # never reaches the shown few, so only the strongest candidates need their frequencies looked up.
        candidates = heapq.nlargest(max(limit * CANDIDATES_PER_TERM, 50), self.weights.items(),
                                    key=lambda item: item[1])
        frequencies = _document_frequencies(session, df_buckets, [key for key, _ in candidates])
        total = _people_total(session)
        scored = [(key, self.labels[key][1], tfidf(weight, frequencies.get(key, 0), total))
                  for key, weight in candidates]
        return size_steps(scored, limit)


def _person_rows(session: Session, person_ids: list[int], scopes: Iterable[str]):
    return session.execute(select(PersonTerm.scope, PersonTerm.term, PersonTerm.weight, PersonTerm.display).where(
        PersonTerm.person_id.in_(person_ids), PersonTerm.scope.in_(list(scopes)))).all()


def person_cloud(session: Session, person: Person, viewer: Viewer, *, limit: int = 20,
                 scopes: frozenset[str] | None = None, cache: CloudCache | None = None,
                 now: datetime | None = None) -> list[CloudTerm]:
    """The terms that characterize `person`, as this viewer may know them."""
    scopes = viewer_scopes(session, viewer) if scopes is None else scopes
    readable = tuple(sorted(scopes)) + visible_tag_scopes(person, viewer)

    def compute() -> list[CloudTerm]:
        merged = _Merged()
        merged.add_person_rows(_person_rows(session, [person.id], readable), decay_factor(now or utcnow()))
        return merged.ranked(session, sorted(scopes) + list(ALL_TAG_SCOPES), limit)

    return (cache or _no_cache()).get_or_compute(("person", person.id, readable, limit), compute)


def company_cloud(session: Session, company, viewer: Viewer, *, limit: int = 30,
                  cache: CloudCache | None = None, now: datetime | None = None) -> list[CloudTerm]:
    """A company's own tags plus what its active members' clouds hold for this viewer."""
    from portal.companies.services import company_tags

    scopes = viewer_scopes(session, viewer)
    members = list(session.scalars(select(Person).where(Person.company_id == company.id,
                                                        Person.membership_status == MEMBERSHIP_ACTIVE)))
    readable = {m.id: tuple(sorted(scopes)) + visible_tag_scopes(m, viewer) for m in members}

    def compute() -> list[CloudTerm]:
        merged = _Merged()
        for tags in company_tags(session, [company.id])[company.id].values():
            for tag in tags:
                merged.add(tag_key(tag.name), PROFILE_TAG_WEIGHT, tag.name)
        decay = decay_factor(now or utcnow())
        by_scopes: dict[tuple, list[int]] = {}
        for member_id, member_scopes in readable.items():
            by_scopes.setdefault(member_scopes, []).append(member_id)
        for member_scopes, member_ids in by_scopes.items():
            for start in range(0, len(member_ids), 500):
                merged.add_person_rows(_person_rows(session, member_ids[start:start + 500], member_scopes), decay)
        return merged.ranked(session, sorted(scopes) + list(ALL_TAG_SCOPES), limit)

    key = ("company", company.id, tuple(sorted(readable.items())), limit)
    return (cache or _no_cache()).get_or_compute(key, compute)


def _bucket_rows(session: Session, bucket: str):
    return session.execute(select(BucketTerm.term, BucketTerm.weight, BucketTerm.display).where(
        BucketTerm.bucket == bucket, BucketTerm.posts > 0)
        .order_by(BucketTerm.weight.desc()).limit(BUCKET_TERMS_READ)).all()


def category_cloud(session: Session, category: Category, *, limit: int = 40, cache: CloudCache | None = None,
                   now: datetime | None = None) -> list[CloudTerm]:
    """What a category's posts are about. The caller has checked the viewer may read the category."""

    def compute() -> list[CloudTerm]:
        merged = _Merged()
        decay = decay_factor(now or utcnow())
        for term, weight, display in _bucket_rows(session, category_bucket(category.id)):
            merged.add(term, weight * decay, display)
        return merged.ranked(session, [category_scope(category)], limit)

    return (cache or _no_cache()).get_or_compute(("category", category.id, limit), compute)


def ecosystem_cloud(session: Session, viewer: Viewer, *, limit: int = 40, cache: CloudCache | None = None,
                    now: datetime | None = None) -> list[CloudTerm]:
    """What the forums the viewer may read talk about lately: recent volume times the number of people."""
    scopes = tuple(sorted(viewer_scopes(session, viewer)))

    def compute() -> list[CloudTerm]:
        decay = decay_factor(now or utcnow())
        weights: dict[str, float] = {}
        people: dict[str, int] = {}
        labels: dict[str, tuple[float, str]] = {}
        for scope in scopes:
            rows = session.execute(select(BucketTerm.term, BucketTerm.weight, BucketTerm.people, BucketTerm.display)
                                   .where(BucketTerm.bucket == scope, BucketTerm.posts > 0)
                                   .order_by(BucketTerm.weight.desc()).limit(BUCKET_TERMS_READ))
            for term, weight, users, display in rows:
                weights[term] = weights.get(term, 0.0) + weight * decay
                people[term] = people.get(term, 0) + users
                if weight > labels.get(term, (0.0, ""))[0]:
                    labels[term] = (weight, display)
        scored = [(term, labels[term][1], damped(weight) * math.log1p(people[term]))
                  for term, weight in weights.items()]
        return size_steps(scored, limit)

    return (cache or _no_cache()).get_or_compute(("ecosystem", scopes, limit), compute)
