"""Follows and activities: who follows what, and what happened that their feeds show.

An activity is written once; `ActivityTarget` rows say what it is about (a thread, its tags, the
person who acted, the company…). A personal feed is the newest activities among the targets one
follows, read with one index seek per followed target (see feed_query.py for why this is a
"pull" design rather than a per-follower inbox).

`ActivityTarget` repeats the activity's `created_at`, `group_id` and verb family so that a feed
page is answered from that one index: ordering, private-group filtering and the verb filter
never need the activities table until the page's few rows are loaded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

TARGET_KINDS = ("person", "company", "thread", "tag", "document")


class Follow(Base):
    """One person follows one target; the primary key makes following twice impossible."""

    __tablename__ = "feed_follows"
    __table_args__ = (Index("ix_feed_follows_target", "target_kind", "target_id"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(Base):
    """Something that happened, as a feed shows it (title, summary, link) and who may see it.

    `company_id` puts it in that company's feed; `group_id` restricts it to the members of that
    private forum group; `members_only` hides it from visitors who are not logged in.
    `audience` limits it to a few people; `hidden_at` is set when what it shows was deleted or
    hidden (a moderated post)."""

    __tablename__ = "feed_activities"
    __table_args__ = (
        Index("ix_feed_activities_company_recent", "company_id", "created_at", "id"),
        Index("ix_feed_activities_recent", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    verb: Mapped[str] = mapped_column(String(40))
    verb_family: Mapped[str] = mapped_column(String(16), default="status")  # what the feed filters use
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    actor_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    # A member company's back-end system (an OAuth client_id) that posted it through the API.
    actor_client_id: Mapped[str | None] = mapped_column(String(64))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("forum_groups.id", ondelete="CASCADE"))
    members_only: Mapped[bool] = mapped_column(default=True)
    # When set, only these people see it (a new connection: profiles never list who knows whom).
    audience: Mapped[list | None] = mapped_column(JSON)
    hidden_at: Mapped[datetime | None] = mapped_column()
    # Where it came from, so a later change (a deleted post) finds it: e.g. "post:12".
    source_key: Mapped[str | None] = mapped_column(String(80), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityTarget(Base):
    """What an activity is about, for the people who follow it."""

    __tablename__ = "feed_activity_targets"
    __table_args__ = (
        Index("ix_feed_activity_targets_feed", "target_kind", "target_id", "created_at", "activity_id"),
    )

    activity_id: Mapped[int] = mapped_column(ForeignKey("feed_activities.id", ondelete="CASCADE"),
                                             primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Copies of the activity's fields (never change after it is recorded), see the module docstring.
    created_at: Mapped[datetime] = mapped_column()
    group_id: Mapped[int | None] = mapped_column()
    verb_family: Mapped[str] = mapped_column(String(16))
