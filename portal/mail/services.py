"""Queue mail in the durable outbox; delivery happens after commit (see portal.mail.delivery)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import queue_event
from portal.mail.models import OutboxMessage
from portal.pagination import Page, paginate


def queue_mail(session: Session, to_address: str, subject: str, body_text: str) -> OutboxMessage:
    """Write a message to the outbox in the caller's transaction; it is sent once that commits."""
    # A subject is one header line: line breaks in it would be header injection.
    subject = " ".join((subject or "").split())[:200]
    message = OutboxMessage(to_address=to_address.strip(), subject=subject, body_text=body_text)
    session.add(message)
    session.flush()
    queue_event(session, "mail.queued", {"message_id": message.id})
    return message


def recent_mail_count(session: Session, to_address: str, since: datetime) -> int:
    """How many messages to this address were queued since `since` (caps against mail floods)."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.to_address == to_address, OutboxMessage.created_at >= since)) or 0


def outbox_page(session: Session, number: int, per_page: int = 50) -> Page[OutboxMessage]:
    """Messages newest first (the dev outbox page)."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return paginate(session, stmt, number, per_page)


def outbox_message(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None))) or 0
