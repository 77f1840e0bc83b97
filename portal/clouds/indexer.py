"""Keeping the term tables current: per post (incremental, after each commit) and all at once (rebuild).

A post counts for its author when it is visible (not deleted, not hidden) in a thread that is not
deleted. Its contribution is recorded in `PostTerms` with the scope it counted under, so that an
edit, a move to another category or a deletion subtracts exactly what was added. A person's
strongest terms per scope are then recomputed from their recorded contributions (no re-parsing).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from portal.clouds.models import BucketTerm, PersonTerm, PostTerms
from portal.clouds.terms import post_vector, tag_key
from portal.clouds.weighting import PROFILE_TAG_WEIGHT, anchored
from portal.forums.access import category_scope
from portal.forums.models import Category, Post, Thread, ThreadTag
from portal.profiles.models import PERSON_TAG_KINDS
from portal.tags.models import Tag

PERSON_TERMS_KEPT = 100  # per person and scope: clouds show at most a few dozen
# Up to this many posts in a scope, a person's terms are recomputed exactly after a change;
# beyond it (a few prolific authors) the change is applied as a difference, in constant time.
EXACT_RECOMPUTE_POSTS = 300
CHUNK = 500


def tag_scope(kind: str) -> str:
    return f"tag:{kind}"


def category_bucket(category_id: int) -> str:
    return f"category:{category_id}"


@dataclass
class Contribution:
    author_id: int
    scope: str
    category_id: int
    created_at: object
    terms: dict  # key -> [weight, surface]


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _thread_tag_names(session: Session, thread_ids: Iterable[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(set(thread_ids))):
        rows = session.execute(select(ThreadTag.thread_id, Tag.name).join(Tag, Tag.id == ThreadTag.tag_id)
                               .where(ThreadTag.thread_id.in_(chunk)).order_by(ThreadTag.position))
        for thread_id, name in rows:
            names[thread_id].append(name)
    return names


def contributions(session: Session, post_ids: Iterable[int]) -> dict[int, Contribution | None]:
    """What each post counts for now (None: it does not count)."""
    post_ids = sorted(set(post_ids))
    result: dict[int, Contribution | None] = dict.fromkeys(post_ids)
    rows = []
    for chunk in _chunks(post_ids):
        rows += session.execute(
            select(Post.id, Post.number, Post.author_id, Post.body_html, Post.created_at, Post.deleted_at,
                   Post.hidden_at, Thread.id, Thread.title, Thread.deleted_at, Category)
            .join(Thread, Thread.id == Post.thread_id).join(Category, Category.id == Thread.category_id)
            .where(Post.id.in_(chunk))).all()
    tags = _thread_tag_names(session, (row[7] for row in rows))
    for (post_id, number, author_id, body_html, created_at, deleted_at, hidden_at, thread_id, title,
         thread_deleted_at, category) in rows:
        if author_id is None or deleted_at or hidden_at or thread_deleted_at:
            continue
        vector = post_vector(body_html, title=title, tags=tags[thread_id], opening=number == 1)
        result[post_id] = Contribution(author_id, category_scope(category), category.id, created_at,
                                       {key: [weight, surface] for key, (weight, surface) in vector.items()})
    return result


class _BucketDeltas:
    """Changes to bucket totals, applied in one pass."""

    def __init__(self) -> None:
        self.changes: dict[tuple[str, str], list] = {}  # (bucket, term) -> [weight, posts, people, display]

    def add(self, bucket: str, term: str, *, weight: float = 0.0, posts: int = 0, people: int = 0,
            display: str = "") -> None:
        change = self.changes.setdefault((bucket, term), [0.0, 0, 0, ""])
        change[0] += weight
        change[1] += posts
        change[2] += people
        if display and (not change[3] or weight > 0):
            change[3] = display

    def add_post(self, contribution: Contribution, sign: int) -> None:
        factor = anchored(contribution.created_at) * sign
        for key, (weight, surface) in contribution.terms.items():
            for bucket in (contribution.scope, category_bucket(contribution.category_id)):
                self.add(bucket, key, weight=weight * factor, posts=sign, display=surface if sign > 0 else "")

    def apply(self, session: Session) -> None:
        """Write the changes with a few executemany statements (Core: an ORM object per row costs more)."""
        table = BucketTerm.__table__
        by_bucket: dict[str, list[str]] = defaultdict(list)
        for bucket, term in self.changes:
            by_bucket[bucket].append(term)
        inserts, updates, deletes = [], [], []
        for bucket, terms in by_bucket.items():
            for chunk in _chunks(terms):
                existing = {row.term: row for row in session.execute(
                    select(table.c.term, table.c.weight, table.c.posts, table.c.people, table.c.display)
                    .where(table.c.bucket == bucket, table.c.term.in_(chunk)))}
                for term in chunk:
                    weight, posts, people, display = self.changes[(bucket, term)]
                    row = existing.get(term)
                    old = (row.weight, row.posts, row.people, row.display) if row else (0.0, 0, 0, "")
                    new_posts, new_people = max(0, old[1] + posts), max(0, old[2] + people)
                    # Floating-point subtraction can leave dust below zero; no posts means no weight.
                    values = {"b_bucket": bucket, "b_term": term, "posts": new_posts, "people": new_people,
                              "weight": max(0.0, old[0] + weight) if new_posts else 0.0,
                              "display": old[3] or display}
                    if new_posts == 0 and new_people == 0:
                        if row is not None:
                            deletes.append({"b_bucket": bucket, "b_term": term})
                    elif row is None:
                        inserts.append(values)
                    else:
                        updates.append(values)
        key = (table.c.bucket == bindparam("b_bucket")) & (table.c.term == bindparam("b_term"))
        if deletes:
            session.execute(table.delete().where(key), deletes)
        if updates:
            session.execute(table.update().where(key).values(
                weight=bindparam("weight"), posts=bindparam("posts"), people=bindparam("people"),
                display=bindparam("display")), updates)
        if inserts:
            session.execute(table.insert(), [
                {"bucket": v["b_bucket"], "term": v["b_term"], "weight": v["weight"], "posts": v["posts"],
                 "people": v["people"], "display": v["display"][:100]} for v in inserts])
        self.changes.clear()


def _replace_person_terms(session: Session, person_id: int, scope: str, strongest: dict[str, tuple[float, str]],
                          deltas: _BucketDeltas) -> None:
    """Store a person's terms of one scope; `people` of the scope's bucket follows the difference."""
    old = _stored_terms(session, [(person_id, scope)])
    _store_person_terms(session, {(person_id, scope): (old[(person_id, scope)], strongest)}, deltas)


def _by_scope(keys: Iterable[tuple[int, str]]) -> dict[str, list[int]]:
    """(person, scope) pairs as scope → sorted person ids (queries filter one scope at a time)."""
    people: dict[str, set[int]] = defaultdict(set)
    for person_id, scope in keys:
        people[scope].add(person_id)
    return {scope: sorted(ids) for scope, ids in sorted(people.items())}


def _stored_terms(session: Session, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], set[str]]:
    """The term keys stored now for each (person, scope) pair, in a query per scope and chunk."""
    keys = set(keys)
    stored: dict[tuple[int, str], set[str]] = {key: set() for key in keys}
    for scope, person_ids in _by_scope(keys).items():
        for chunk in _chunks(person_ids):
            for person_id, term in session.execute(select(PersonTerm.person_id, PersonTerm.term).where(
                    PersonTerm.scope == scope, PersonTerm.person_id.in_(chunk))):
                stored[(person_id, scope)].add(term)
    return stored


def _store_person_terms(session: Session, replacements: dict[tuple[int, str], tuple[set[str], dict]],
                        deltas: _BucketDeltas) -> None:
    """Replace the terms of many (person, scope) pairs at once: (person, scope) → (the keys stored
    now, the strongest terms to store). An import or `portal demo` changes hundreds of people in
    one commit; a DELETE per scope and chunk and one INSERT for all cost far less than three
    statements per person. `people` of each scope's bucket follows the difference."""
    stale = _by_scope(key for key, (old, _) in replacements.items() if old)
    for scope, person_ids in stale.items():
        for chunk in _chunks(person_ids):
            session.execute(delete(PersonTerm).where(PersonTerm.scope == scope, PersonTerm.person_id.in_(chunk)))
    rows = [{"person_id": person_id, "scope": scope, "term": key, "weight": weight, "display": display[:100]}
            for (person_id, scope), (_, strongest) in sorted(replacements.items())
            for key, (weight, display) in strongest.items()]
    for chunk in _chunks(rows, 5000):
        session.execute(insert(PersonTerm), chunk)
    for (_, scope), (old, strongest) in sorted(replacements.items()):
        for key in strongest.keys() - old:
            deltas.add(scope, key, people=1, display=strongest[key][1])
        for key in old - strongest.keys():
            deltas.add(scope, key, people=-1)


def _strongest(totals: dict[str, list]) -> dict[str, tuple[float, str]]:
    """The PERSON_TERMS_KEPT heaviest terms, each with its most used surface form."""
    top = heapq.nlargest(PERSON_TERMS_KEPT, totals.items(), key=lambda item: (item[1][0], item[0]))
    return {key: (weight, max(surfaces, key=surfaces.get)) for key, (weight, surfaces) in top}


def _accumulate(totals: dict[str, list], terms: dict, factor: float) -> None:
    for key, (weight, surface) in terms.items():
        entry = totals.get(key)
        if entry is None:
            totals[key] = entry = [0.0, {}]
        entry[0] += weight * factor
        entry[1][surface] = entry[1].get(surface, 0.0) + weight * factor


def recompute_person_scopes(session: Session, keys: Iterable[tuple[int, str]], deltas: _BucketDeltas) -> None:
    """Exact: each (person, scope)'s strongest terms from all their recorded posts of that scope,
    read for all the pairs together."""
    totals: dict[tuple[int, str], dict[str, list]] = {key: {} for key in keys}
    for scope, person_ids in _by_scope(totals).items():
        for chunk in _chunks(person_ids):
            for person_id, terms, created_at in session.execute(
                    select(PostTerms.author_id, PostTerms.terms, PostTerms.created_at)
                    .where(PostTerms.scope == scope, PostTerms.author_id.in_(chunk))
                    .order_by(PostTerms.author_id, PostTerms.post_id)):
                _accumulate(totals[(person_id, scope)], terms, anchored(created_at))
    old = _stored_terms(session, totals)
    _store_person_terms(session, {key: (old[key], _strongest(found)) for key, found in totals.items()}, deltas)


def _recorded_post_counts(session: Session, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    counts: dict[tuple[int, str], int] = {}
    for scope, person_ids in _by_scope(keys).items():
        for chunk in _chunks(person_ids):
            for person_id, count in session.execute(
                    select(PostTerms.author_id, func.count()).where(PostTerms.scope == scope,
                                                                    PostTerms.author_id.in_(chunk))
                    .group_by(PostTerms.author_id)):
                counts[(person_id, scope)] = count
    return counts


def adjust_person_scope(session: Session, person_id: int, scope: str, changes: list[tuple[Contribution, int]],
                        deltas: _BucketDeltas) -> None:
    """Approximate, for prolific authors: add or subtract the changed posts from the kept terms.

    A term that had fallen out of the kept set comes back with the new posts' weight only; the
    strongest terms — what clouds show — stay right, and `portal clouds rebuild` makes it exact."""
    totals = {term: [weight, {display: weight}] for term, weight, display in session.execute(
        select(PersonTerm.term, PersonTerm.weight, PersonTerm.display).where(
            PersonTerm.person_id == person_id, PersonTerm.scope == scope))}
    for contribution, sign in changes:
        _accumulate(totals, contribution.terms, sign * anchored(contribution.created_at))
    # Subtraction leaves floating-point dust where a term's posts are all gone: below a billionth of
    # the strongest term it is no term at all (and would never be shown anyway).
    dust = 1e-9 * max((entry[0] for entry in totals.values()), default=0.0)
    kept = {term: entry for term, entry in totals.items() if entry[0] > dust}
    for entry in kept.values():
        entry[1] = {surface: weight for surface, weight in entry[1].items() if weight > 0} or {"": 0.0}
    strongest = {term: (weight, display) for term, (weight, display) in _strongest(kept).items() if display}
    _replace_person_terms(session, person_id, scope, strongest, deltas)


@dataclass
class Touched:
    """Whose clouds a refresh changed (for cache invalidation)."""

    person_ids: set[int]
    category_ids: set[int]


def refresh_posts(session: Session, post_ids: Iterable[int]) -> Touched:
    """Bring the term tables in line with these posts' current state."""
    post_ids = sorted(set(post_ids))
    touched = Touched(set(), set())
    if not post_ids:
        return touched
    current = contributions(session, post_ids)
    recorded = {}
    for chunk in _chunks(post_ids):
        recorded.update({row.post_id: row for row in session.scalars(
            select(PostTerms).where(PostTerms.post_id.in_(chunk)))})
    deltas, dirty = _BucketDeltas(), defaultdict(list)  # (author, scope) -> [(contribution, ±1)]
    for post_id in post_ids:
        old, new = recorded.get(post_id), current[post_id]
        if old is not None and new is not None and (old.author_id, old.scope, old.category_id, old.terms) == (
                new.author_id, new.scope, new.category_id, new.terms):
            continue
        if old is not None:
            was = Contribution(old.author_id, old.scope, old.category_id, old.created_at, old.terms)
            deltas.add_post(was, -1)
            dirty[(old.author_id, old.scope)].append((was, -1))
            touched.category_ids.add(old.category_id)
        if new is not None:
            deltas.add_post(new, +1)
            dirty[(new.author_id, new.scope)].append((new, +1))
            touched.category_ids.add(new.category_id)
            record = old or PostTerms(post_id=post_id)
            record.author_id, record.scope, record.category_id = new.author_id, new.scope, new.category_id
            record.created_at, record.terms = new.created_at, new.terms
            session.add(record)
        elif old is not None:
            session.delete(old)
    session.flush()
    recorded_posts = _recorded_post_counts(session, dirty)
    exact = [key for key in sorted(dirty) if recorded_posts.get(key, 0) <= EXACT_RECOMPUTE_POSTS]
    recompute_person_scopes(session, exact, deltas)
    for (person_id, scope), changes in sorted(dirty.items(), key=lambda item: item[0]):
        if recorded_posts.get((person_id, scope), 0) > EXACT_RECOMPUTE_POSTS:
            adjust_person_scope(session, person_id, scope, changes, deltas)
    deltas.apply(session)
    touched.person_ids = {person_id for person_id, _ in dirty}
    return touched


def thread_post_ids(session: Session, thread_ids: Iterable[int]) -> list[int]:
    ids: list[int] = []
    for chunk in _chunks(sorted(set(thread_ids))):
        ids += session.scalars(select(Post.id).where(Post.thread_id.in_(chunk)))
    return ids


def _profile_tag_terms(session: Session, person_ids: list[int]) -> dict[int, dict[str, dict[str, tuple]]]:
    """person -> tag scope -> key -> (weight, tag name)."""
    from portal.profiles.services import person_tags

    result: dict[int, dict[str, dict[str, tuple]]] = {}
    for person_id, kinds in person_tags(session, person_ids).items():
        result[person_id] = {
            tag_scope(kind): {tag_key(tag.name): (PROFILE_TAG_WEIGHT, tag.name) for tag in kinds.get(kind, [])}
            for kind in PERSON_TAG_KINDS}
    return result


def refresh_people_tags(session: Session, person_ids: Iterable[int]) -> None:
    """Profile tags changed (or the person was created, merged or removed)."""
    person_ids = sorted(set(person_ids))
    deltas = _BucketDeltas()
    for chunk in _chunks(person_ids):
        wanted = _profile_tag_terms(session, chunk)
        stored: dict[tuple[int, str], dict[str, tuple]] = defaultdict(dict)
        tag_scopes = [tag_scope(kind) for kind in PERSON_TAG_KINDS]
        for person_id, scope, term, weight, display in session.execute(
                select(PersonTerm.person_id, PersonTerm.scope, PersonTerm.term, PersonTerm.weight, PersonTerm.display)
                .where(PersonTerm.person_id.in_(chunk), PersonTerm.scope.in_(tag_scopes))):
            stored[(person_id, scope)][term] = (weight, display)
        replacements = {}
        for person_id in chunk:
            for kind in PERSON_TAG_KINDS:
                scope = tag_scope(kind)
                terms = wanted.get(person_id, {}).get(scope, {})
                old = stored.get((person_id, scope), {})
                if terms != old:  # most saves leave most kinds alone
                    replacements[(person_id, scope)] = (set(old), terms)
        _store_person_terms(session, replacements, deltas)
    deltas.apply(session)
