"""Precomputed term weights, so that a cloud is a few indexed reads (a hovercard has < 20 ms).

- `PostTerms`: what one post contributed (its terms, scope, category and date) — what the
  incremental indexer subtracts when the post changes, moves or disappears.
- `PersonTerm`: a person's strongest terms per *scope* ("public", "members", "group:<id>" for
  forum content; "tag:<kind>" for profile tags). A viewer's cloud merges the scopes they may read.
- `BucketTerm`: totals per bucket — a forum scope or a tag kind (with `people`, the number of
  people whose terms include it: the document frequency of the TF-IDF weighting) and a
  category ("category:<id>", for category clouds).

Forum weights are stored *anchored*: each post adds weight × 2^((date − EPOCH) / half-life).
Decay at read time is then one factor for every row, so rows never need rewriting as time
passes and ORDER BY weight stays the order of today's weights (see weighting.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class PostTerms(Base):
    __tablename__ = "cloud_post_terms"
    __table_args__ = (Index("ix_cloud_post_terms_author_scope", "author_id", "scope"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(48))
    category_id: Mapped[int] = mapped_column(ForeignKey("forum_categories.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    terms: Mapped[dict] = mapped_column(JSON)  # key -> [weight, surface form]


class PersonTerm(Base):
    __tablename__ = "cloud_person_terms"
    __table_args__ = (Index("ix_cloud_person_terms_strongest", "person_id", "scope", "weight"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(48), primary_key=True)
    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    weight: Mapped[float]
    display: Mapped[str] = mapped_column(String(100))


class BucketTerm(Base):
    __tablename__ = "cloud_bucket_terms"
    __table_args__ = (Index("ix_cloud_bucket_terms_strongest", "bucket", "weight"),)

    bucket: Mapped[str] = mapped_column(String(48), primary_key=True)
    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    weight: Mapped[float] = mapped_column(default=0.0)
    posts: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)
    display: Mapped[str] = mapped_column(String(100), default="")
