"""Queue mail in the durable outbox; delivery happens after commit (see portal.mail.delivery)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.db import queue_event
from portal.mail.models import OutboxMessage


def queue_mail(session: Session, to_address: str, subject: str, body_text: str) -> OutboxMessage:
    """Write a message to the outbox in the caller's transaction; it is sent once that commits."""
    message = OutboxMessage(to_address=to_address, subject=subject[:200], body_text=body_text)
    session.add(message)
    session.flush()
    queue_event(session, "mail.queued", {"message_id": message.id})
    return message
