"""Queue mail in the durable outbox; delivery happens after commit (see portal.mail.delivery)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import queue_event
from portal.mail.models import OutboxMessage
from portal.pagination import Page, paginate

# Header fields a caller may add; the rest (From, To, Date, Message-ID...) are the transport's.
EXTRA_HEADERS = frozenset({"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Auto-Submitted"})


def _outbox_message(to_address: str, subject: str, body_text: str,
                    headers: Mapping[str, str] | None = None) -> OutboxMessage:
    # A subject is one header line: line breaks in it would be header injection.
    subject = " ".join((subject or "").split())[:200]
    extra = None
    if headers:
        unknown = set(headers) - EXTRA_HEADERS
        if unknown:
            raise ValueError(f"header fields not allowed on outbox mail: {sorted(unknown)}")
        extra = {name: " ".join(str(value).split()) for name, value in headers.items()}
    return OutboxMessage(to_address=to_address.strip(), subject=subject, body_text=body_text, headers=extra)


def queue_mail(session: Session, to_address: str, subject: str, body_text: str, *,
               headers: Mapping[str, str] | None = None) -> OutboxMessage:
    """Write a message to the outbox in the caller's transaction; it is sent once that commits.
    `headers`: extra header fields such as List-Unsubscribe (names from EXTRA_HEADERS only)."""
    return queue_mails(session, [{"to_address": to_address, "subject": subject, "body_text": body_text,
                                  "headers": headers}])[0]


def queue_mails(session: Session, messages: Iterable[Mapping]) -> list[OutboxMessage]:
    """Many messages at once (keys as queue_mail's arguments), written with one flush: a post that
    notifies hundreds of people does not pay one round trip per mail."""
    rows = [_outbox_message(m["to_address"], m["subject"], m["body_text"], m.get("headers")) for m in messages]
    session.add_all(rows)
    session.flush()
    for row in rows:
        queue_event(session, "mail.queued", {"message_id": row.id})
    return rows


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
