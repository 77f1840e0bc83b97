"""Rebuild every term table from the forum and the profiles in one pass (imports, benchmarks, repairs).

Posts are read author by author, so only one author's totals are in memory at a time, and rows
are written with bulk INSERTs; the incremental indexer would reach the same tables one post at a time.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from portal.clouds.indexer import (
    _accumulate,
    _chunks,
    _profile_tag_terms,
    _strongest,
    _thread_tag_names,
    category_bucket,
)
from portal.clouds.models import BucketTerm, PersonTerm, PostTerms
from portal.clouds.terms import post_vector
from portal.clouds.weighting import anchored
from portal.forums.access import category_scope
from portal.forums.models import Category, Post, Thread
from portal.profiles.models import Person

BODY_CHUNK = 1000
WRITE_CHUNK = 5000


@dataclass
class RebuildStats:
    posts: int = 0
    people: int = 0
    person_terms: int = 0
    bucket_terms: int = 0
    seconds: float = 0.0

    @property
    def posts_per_second(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0


class _Writer:
    """Buffers rows per table and inserts them in large batches."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[type, list[dict]] = defaultdict(list)
        self.written: dict[type, int] = defaultdict(int)

    def add(self, model: type, row: dict) -> None:
        rows = self.rows[model]
        rows.append(row)
        if len(rows) >= WRITE_CHUNK:
            self.flush(model)

    def flush(self, model: type | None = None) -> None:
        for table in [model] if model else list(self.rows):
            if self.rows[table]:
                # Core INSERT (executemany): the ORM's bulk path costs more than the database here.
                self.session.execute(insert(table.__table__), self.rows[table])
                self.written[table] += len(self.rows[table])
                self.rows[table] = []


def rebuild_all(session: Session) -> RebuildStats:
    """Drop and recompute every cloud table. Flushes; the caller commits."""
    started = time.perf_counter()
    stats = RebuildStats()
    for model in (PostTerms, PersonTerm, BucketTerm):
        session.execute(delete(model))

    scopes = {c.id: category_scope(c) for c in session.scalars(select(Category))}
    threads = {tid: (title, category_id) for tid, title, category_id in session.execute(
        select(Thread.id, Thread.title, Thread.category_id).where(Thread.deleted_at.is_(None)))}
    thread_tags = _thread_tag_names(session, threads)
    # (author, id) of every counting post, so each author's posts are read together.
    post_keys = session.execute(
        select(Post.author_id, Post.id).join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id.is_not(None), Post.deleted_at.is_(None), Post.hidden_at.is_(None),
               Thread.deleted_at.is_(None))
        .order_by(Post.author_id, Post.id)).all()

    writer = _Writer(session)
    buckets: dict[tuple[str, str], list] = {}  # (bucket, key) -> [weight, posts, people, surfaces]

    def bucket_entry(bucket: str, key: str) -> list:
        entry = buckets.get((bucket, key))
        if entry is None:
            buckets[(bucket, key)] = entry = [0.0, 0, 0, {}]
        return entry

    def finish_author(author_id: int, per_scope: dict[str, dict]) -> None:
        for scope, totals in per_scope.items():
            for key, (weight, display) in _strongest(totals).items():
                writer.add(PersonTerm, {"person_id": author_id, "scope": scope, "term": key, "weight": weight,
                                        "display": display[:100]})
                bucket_entry(scope, key)[2] += 1

    current_author, per_scope = None, defaultdict(dict)
    for chunk in _chunks(post_keys, BODY_CHUNK):
        details = {row[0]: row[1:] for row in session.execute(
            select(Post.id, Post.number, Post.thread_id, Post.created_at, Post.body_html)
            .where(Post.id.in_([post_id for _, post_id in chunk])))}
        for author_id, post_id in chunk:
            if author_id != current_author:
                if current_author is not None:
                    finish_author(current_author, per_scope)
                current_author, per_scope = author_id, defaultdict(dict)
            number, thread_id, created_at, body_html = details[post_id]
            title, category_id = threads[thread_id]
            vector = post_vector(body_html, title=title, tags=thread_tags[thread_id], opening=number == 1)
            terms = {key: [weight, surface] for key, (weight, surface) in vector.items()}
            scope, factor = scopes[category_id], anchored(created_at)
            writer.add(PostTerms, {"post_id": post_id, "author_id": author_id, "scope": scope,
                                   "category_id": category_id, "created_at": created_at, "terms": terms})
            _accumulate(per_scope[scope], terms, factor)
            for key, (weight, surface) in terms.items():
                for bucket in (scope, category_bucket(category_id)):
                    entry = bucket_entry(bucket, key)
                    entry[0] += weight * factor
                    entry[1] += 1
                    entry[3][surface] = entry[3].get(surface, 0.0) + weight * factor
            stats.posts += 1
    if current_author is not None:
        finish_author(current_author, per_scope)

    person_ids = list(session.scalars(select(Person.id).order_by(Person.id)))
    stats.people = len(person_ids)
    for chunk in _chunks(person_ids):
        for person_id, per_tag_scope in _profile_tag_terms(session, chunk).items():
            for scope, terms in per_tag_scope.items():
                for key, (weight, display) in terms.items():
                    writer.add(PersonTerm, {"person_id": person_id, "scope": scope, "term": key, "weight": weight,
                                            "display": display[:100]})
                    entry = bucket_entry(scope, key)
                    entry[2] += 1
                    entry[3][display] = entry[3].get(display, 0.0) + weight

    for (bucket, key), (weight, posts, people, surfaces) in buckets.items():
        writer.add(BucketTerm, {"bucket": bucket, "term": key, "weight": weight, "posts": posts, "people": people,
                                "display": max(surfaces, key=surfaces.get)[:100] if surfaces else ""})
    writer.flush()
    session.flush()
    stats.person_terms, stats.bucket_terms = writer.written[PersonTerm], writer.written[BucketTerm]
    stats.seconds = time.perf_counter() - started
    return stats
