"""Notifications a person gets inside the portal, and how each kind reaches them by mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# Kinds other features notify about (the settings page lists them in this order).
MENTION, REPLY, INTRODUCTION, MESSAGE, DOCUMENT_VERSION = "mention", "reply", "introduction", "message", \
    "document_version"
KINDS = (MENTION, REPLY, INTRODUCTION, MESSAGE, DOCUMENT_VERSION)

# How a kind reaches a person: only on the notifications page, a mail right away, once a day in
# a digest mail, or not at all.
IN_APP, EMAIL, DIGEST, OFF = "in_app", "email", "digest", "off"
DELIVERIES = (IN_APP, EMAIL, DIGEST, OFF)


class Notification(Base):
    """One thing one person is told about. `delivery` is the preference in force when it was made;
    `mailed_at` is set once a right-away or digest mail carrying it sits in the outbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The page (newest first) and the unread count of one person.
        Index("ix_notifications_person_id_id", "person_id", "id"),
        Index("ix_notifications_person_id_read_at", "person_id", "read_at"),
        # The digest run: waiting digest items, per person.
        Index("ix_notifications_digest_waiting", "delivery", "mailed_at", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    delivery: Mapped[str] = mapped_column(String(16), default=IN_APP)
    mailed_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """A person's choice for one kind; without a row the kind's default applies."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("person_id", "kind", name="uq_notification_preferences_person_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    delivery: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
