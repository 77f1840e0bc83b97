"""Webhook subscriptions of companies, the deliveries owed to them and every attempt made.

A delivery is written in the same transaction as the change that caused it (portal.webhooks.capture),
so a crash after that commit loses nothing: the row waits with `next_attempt_at` until a sender
(the after-commit thread or `portal webhooks deliver`) claims it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

# Subscription states: only active ones get new deliveries; a paused one keeps its history and
# gets deliveries again once resumed; a disabled one was switched off by the portal (an endpoint
# failing for days, or answering 410 Gone) and a company admin resumes it after fixing it.
ACTIVE, PAUSED, DISABLED = "active", "paused", "disabled"
# Delivery states: pending (waiting for its next attempt), delivered (a 2xx answer), failed (gave up).
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class WebhookSubscription(Base):
    """A company's endpoint and the event types it receives."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list] = mapped_column(JSON, default=list)
    # Fernet token of the "whsec_…" signing secret (portal.webhooks.secrets); the plain secret is
    # shown once on creation and never stored, logged or shown again.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # After "New signing secret" the old one also signs until `previous_secret_until`, so that a
    # receiver can switch without rejecting messages in flight (Standard Webhooks allows several
    # signatures in one header).
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, index=True)
    disabled_reason: Mapped[str] = mapped_column(String(300), default="")
    # When the current run of failures began (None after any success): auto-disable looks at it.
    failing_since: Mapped[datetime | None]
    created_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One message owed to one subscription: the body is frozen when the event happens, so a
    redelivery sends the same message (same id, new timestamp and signature)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_log", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    # The Standard Webhooks message id ("msg_…"): the receiver's idempotency key.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")


class WebhookAttempt(Base):
    """One HTTP request made for a delivery: what the delivery log shows."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    response_snippet: Mapped[str] = mapped_column(String(1000), default="")
    # Who asked for it: "event", "retry" or "redeliver" (a company admin's button).
    trigger: Mapped[str] = mapped_column(String(16), default="event")
