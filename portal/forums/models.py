"""Forum categories, private groups, threads, posts and what people do with them.

A thread's opening text is its first post (number 1), so quoting, reactions, edits, flags and
permalinks work the same for every post. `Post.number` is the post's stable position in its
thread: permalinks (`/forums/t/<thread>/<slug>#p<number>` via `/forums/p/<post id>`) survive
paging, moves and soft deletes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# Who may read a category: anyone, logged-in members, or the members of its private group.
PUBLIC, MEMBERS, GROUP = "public", "members", "group"
CATEGORY_VISIBILITIES = (PUBLIC, MEMBERS, GROUP)
GROUP_ROLE_MEMBER, GROUP_ROLE_ADMIN = "member", "admin"
REACTIONS = {"like": "👍", "thanks": "🙏", "insightful": "💡", "celebrate": "🎉"}
FLAG_REASONS = {
    "spam": "Spam or advertising",
    "abuse": "Abusive or harassing",
    "off_topic": "Off topic",
    "confidential": "Shares confidential information",
    "other": "Something else",
}


class ForumGroup(Base):
    """A private group: its own category, readable and writable only by its members."""

    __tablename__ = "forum_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    __tablename__ = "forum_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("forum_groups.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default=GROUP_ROLE_MEMBER)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Category(Base):
    __tablename__ = "forum_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=PUBLIC)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("forum_groups.id", ondelete="CASCADE"), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Thread(Base):
    __tablename__ = "forum_threads"
    # The first for a category's page, the second for "latest activity anywhere" (home page, API listing).
    __table_args__ = (Index("ix_forum_threads_category_activity", "category_id", "pinned", "last_post_at"),
                      Index("ix_forum_threads_activity", "last_post_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("forum_categories.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120))
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    # No foreign key: threads and posts would reference each other, which needs ALTER TABLE after
    # both exist (SQLite cannot). Posts are only soft-deleted; the services clear this when the
    # accepted post is deleted or hidden.
    accepted_post_id: Mapped[int | None]
    # Counters kept by the services so that listings need no aggregate queries.
    post_count: Mapped[int] = mapped_column(default=0)
    last_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class ThreadTag(Base):
    __tablename__ = "forum_thread_tags"

    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class Post(Base):
    __tablename__ = "forum_posts"
    __table_args__ = (
        UniqueConstraint("thread_id", "number"),
        Index("ix_forum_posts_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)  # Markdown source, as written (HTML imports converted)
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitized rendering of `body`
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("forum_posts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # soft delete by the author or a moderator
    hidden_at: Mapped[datetime | None]  # hidden by a moderator after a flag
    hidden_reason: Mapped[str] = mapped_column(String(200), default="")

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class PostRevision(Base):
    """The text a post had before an edit: the visible edit history."""

    __tablename__ = "forum_post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reaction(Base):
    __tablename__ = "forum_reactions"

    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    __tablename__ = "forum_mentions"

    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True)


class ThreadRead(Base):
    """How far a person has read a thread: posts numbered above this are unread for them."""

    __tablename__ = "forum_thread_reads"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    last_read_number: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Flag(Base):
    __tablename__ = "forum_flags"
    __table_args__ = (UniqueConstraint("post_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(String(32), default="")


class ModerationAction(Base):
    """Audit log: one row per moderator action, never edited or deleted."""

    __tablename__ = "forum_moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int]
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
