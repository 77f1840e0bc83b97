"""Private conversations: one-to-one and small groups, their participants with a read marker,
messages, blocks between members and abuse reports for the ecosystem admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# Message kinds: what a person wrote, and the events shown in a conversation's history.
TEXT, ADDED, LEFT, INTRODUCED = "text", "added", "left", "introduced"
REPORT_REASONS = {
    "spam": "Spam or advertising",
    "harassment": "Harassment or threats",
    "inappropriate": "Inappropriate content",
    "other": "Something else",
}
RESOLVED_DISMISSED, RESOLVED_SUSPENDED = "dismissed", "suspended"


class Conversation(Base):
    """A conversation; `pair_key` ("<smaller id>:<larger id>") makes a pair's one-to-one unique."""

    __tablename__ = "message_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    is_group: Mapped[bool] = mapped_column(default=False)
    pair_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    # The accepted introduction this one-to-one conversation came from, if any.
    introduction_id: Mapped[int | None] = mapped_column(ForeignKey("introductions.id", ondelete="SET NULL"),
                                                        unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Ids grow with time on every backend, so the inbox orders by the last message's id.
    last_message_id: Mapped[int | None] = mapped_column(index=True)


class Participant(Base):
    """A person in a conversation. Messages with an id above `visible_after_id` are theirs to read
    (someone added to a group does not see what was said before); `last_read_id` is the read marker.

    `unread_count` is kept as messages arrive (each one they receive adds one, reading sets it to
    0) because every page shows the total in the nav: summing a few hundred rows instead of
    counting messages past each marker (benchmarks/messages.py)."""

    __tablename__ = "message_participants"
    __table_args__ = (Index("ix_message_participants_person_left", "person_id", "left_at"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("message_conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    visible_after_id: Mapped[int] = mapped_column(default=0)
    last_read_id: Mapped[int] = mapped_column(default=0)
    unread_count: Mapped[int] = mapped_column(default=0)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("message_conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=TEXT)
    # Markdown for TEXT; for ADDED the names of the people added.
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Block(Base):
    """`blocker` no longer hears from `blocked`: no new conversations or group invitations from
    them, and their messages after `after_message_id` stay out of the blocker's view."""

    __tablename__ = "message_blocks"
    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="two_people"),)

    blocker_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    after_message_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageReport(Base):
    """A participant reports a message to the ecosystem admins."""

    __tablename__ = "message_reports"
    __table_args__ = (UniqueConstraint("message_id", "reporter_id", name="one_per_reporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(String(16), default="")
