"""Abuse reports: a participant reports a message; ecosystem admins see the open reports (the
reported message only, never the rest of the conversation) and dismiss them or suspend the author.
Like forum flags (portal/forums/moderation.py), a report dismissed earlier can be filed again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.auth.member_accounts import account_states
from portal.db import utcnow
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.messages.models import (
    REPORT_REASONS,
    RESOLVED_DISMISSED,
    RESOLVED_SUSPENDED,
    TEXT,
    Message,
    MessageReport,
)
from portal.messages.services import conversation_messages
from portal.profiles.models import Person
from portal.profiles.services import persons_by_ids
from portal.text import clean_text

NOTE_MAX = 500


def readable_message(session: Session, person: Person, message_id: int) -> Message:
    """A message the person may read, or NotFound (which also hides whether it exists)."""
    message = session.get(Message, message_id) if isinstance(message_id, int) else None
    if message is None or message.kind != TEXT:
        raise NotFound("There is no such message.")
    page = conversation_messages(session, person, message.conversation_id, before=message.id + 1, limit=1)
    if not page.messages or page.messages[0][0].id != message.id:
        raise NotFound("There is no such message.")
    return message


def report_message(session: Session, reporter: Person, message_id: int, reason: str, note: str = "") -> MessageReport:
    message = readable_message(session, reporter, message_id)
    if reason not in REPORT_REASONS:
        raise DomainError("Please choose a reason.", field="reason")
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise DomainError(f"The note can be at most {NOTE_MAX} characters.", field="note")
    if message.author_id == reporter.id:
        raise DomainError("You cannot report your own message.")
    report = session.scalar(select(MessageReport).where(MessageReport.message_id == message.id,
                                                        MessageReport.reporter_id == reporter.id))
    if report is not None and report.resolved_at is None:
        raise DomainError("You already reported this message; the ecosystem admins will look at it.")
    if report is None:
        report = MessageReport(message_id=message.id, reporter_id=reporter.id, reason=reason, note=note)
        session.add(report)
    else:  # reported again after an admin dismissed the earlier report
        report.reason, report.note, report.created_at = reason, note, utcnow()
        report.resolved_at, report.resolved_by_id, report.resolution = None, None, ""
    session.flush()
    return report


def _require_admin(session: Session, person: Person | None) -> None:
    state = account_states(session, [person.id]).get(person.id) if person is not None else None
    if state is None or not state.is_ecosystem_admin or not state.active:
        raise PermissionDenied("Only ecosystem admins handle reported messages.")


@dataclass
class ReportedMessage:
    """An open report's message with everyone's reports of it, for the admins' queue."""

    message: Message
    author: Person | None
    reports: list[tuple[MessageReport, Person | None]]

    @property
    def reasons(self) -> list[str]:
        return [REPORT_REASONS.get(report.reason, report.reason) for report, _ in self.reports]


def open_reports(session: Session, admin: Person) -> list[ReportedMessage]:
    """Messages with open reports, the longest-waiting first."""
    _require_admin(session, admin)
    rows = list(session.execute(select(MessageReport, Message).join(Message, Message.id == MessageReport.message_id)
                                .where(MessageReport.resolved_at.is_(None))
                                .order_by(MessageReport.created_at, MessageReport.id)))
    people = persons_by_ids(session, {m.author_id for _, m in rows if m.author_id}
                            | {r.reporter_id for r, _ in rows if r.reporter_id})
    items: dict[int, ReportedMessage] = {}
    for report, message in rows:
        item = items.setdefault(message.id, ReportedMessage(message, people.get(message.author_id), []))
        item.reports.append((report, people.get(report.reporter_id)))
    return list(items.values())


def open_report_count(session: Session) -> int:
    """Messages waiting for an admin."""
    return session.scalar(select(func.count(func.distinct(MessageReport.message_id)))
                          .where(MessageReport.resolved_at.is_(None))) or 0


def _resolve(session: Session, admin: Person, message_ids: list[int], resolution: str) -> int:
    reports = list(session.scalars(select(MessageReport).where(MessageReport.message_id.in_(message_ids),
                                                               MessageReport.resolved_at.is_(None))))
    for report in reports:
        report.resolved_at, report.resolved_by_id, report.resolution = utcnow(), admin.id, resolution
    session.flush()
    return len(reports)


def dismiss_reports(session: Session, admin: Person, message_id: int) -> int:
    """Nothing wrong with the message: its open reports are closed."""
    _require_admin(session, admin)
    closed = _resolve(session, admin, [message_id], RESOLVED_DISMISSED) if isinstance(message_id, int) else 0
    if not closed:
        raise NotFound("This message has no open reports.")
    return closed


def suspend_author(session: Session, admin: Person, message_id: int) -> Person:
    """Suspend the reported message's author (their logins stop at once, see
    portal.auth.services.suspend_user); every open report of their messages is closed."""
    from portal.auth.models import User
    from portal.auth.services import suspend_user

    _require_admin(session, admin)
    message = session.get(Message, message_id) if isinstance(message_id, int) else None
    author = session.get(Person, message.author_id) if message is not None and message.author_id else None
    if author is None:
        raise NotFound("There is no such message.")
    if author.id == admin.id:
        raise DomainError("You cannot suspend yourself.")
    if author.user_id is None:
        raise DomainError(f"{author.name} has no account to suspend.")
    suspend_user(session, session.get(User, author.user_id))
    by_author = list(session.scalars(select(Message.id).where(Message.author_id == author.id)))
    _resolve(session, admin, by_author, RESOLVED_SUSPENDED)
    return author
