"""Ecosystem admins as brokers: proposing introductions with a personal note, the queue of
members' requests for a brokered introduction, and the batch suggestions the pipeline counts.

The broker console (portal.broker) renders these; every function takes the broker's person id
and checks that they are an active ecosystem admin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.member_accounts import account_states
from portal.db import utcnow
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.introductions import rules
from portal.introductions.models import (
    ANSWER_ACCEPTED,
    PENDING,
    REQUEST_DECLINED,
    REQUEST_OPEN,
    REQUEST_PROPOSED,
    REQUEST_WITHDRAWN,
    BrokerRequest,
    Introduction,
    IntroductionSuggestion,
)
from portal.introductions.settings import IntroductionSettings, settings_for
from portal.notifications.services import notify as notify_in_app
from portal.profiles.models import Person
from portal.profiles.services import connection_ids, persons_by_ids

REASON_MAX = 500


def _broker(session: Session, broker_person_id: int) -> Person:
    broker = session.get(Person, broker_person_id) if isinstance(broker_person_id, int) else None
    state = account_states(session, [broker.id]).get(broker.id) if broker is not None else None
    if broker is None or state is None or not state.active or not state.is_ecosystem_admin:
        raise PermissionDenied("Only ecosystem admins can broker introductions.")
    return broker


def propose_introduction(session: Session, broker_person_id: int, a_id: int, b_id: int, note: str, *,
                         score: float | None = None, reasons: list[str] | None = None,
                         requester_id: int | None = None,
                         settings: IntroductionSettings | None = None) -> Introduction:
    """An ecosystem admin introduces `a_id` and `b_id` with a personal note; both must accept.

    `requester_id` (one of the two) marks an introduction a member asked the admins for: their
    answer counts as accepted. `score` and `reasons` (from the matching engine, computed with an
    admin's view) are kept for the broker and never shown to the two members, whose visibility
    rules they might not respect. Raises DomainError saying why when the pair cannot be introduced.
    """
    settings = settings_for(session, settings)
    broker = _broker(session, broker_person_id)
    a, b = rules.person_or_error(session, a_id), rules.person_or_error(session, b_id)
    if requester_id is not None and requester_id not in (a.id, b.id):
        raise DomainError("The member who asked must be one of the two people.")
    if requester_id == b.id:
        a, b = b, a
    note = rules.clean_note(note, required=True, what="personal note")
    rules.check_pair(session, a, b, unjoined_ok=True)
    for person in (a, b):
        if person.id != requester_id:
            rules.check_pending_limit(session, person, settings)
    now = utcnow()
    introduction = Introduction(
        a_id=a.id, b_id=b.id, requester_id=requester_id, broker_id=broker.id, note=note,
        score=float(score) if score is not None else None, reasons=[str(r) for r in reasons or []] or None,
        status=PENDING, created_at=now, expires_at=now + timedelta(days=settings.expiry_days))
    if requester_id is not None:
        introduction.a_answer, introduction.a_answered_at = ANSWER_ACCEPTED, now
    session.add(introduction)
    session.flush()
    rules.changed(session, introduction)
    link = settings.link(f"/introductions/{introduction.id}")
    for person, other in ((a, b), (b, a)):
        if person.id == requester_id:
            body = (f"{broker.name} proposed the introduction to {other.name} you asked for. "
                    f"We will tell you when {other.name} answers.\n\n{link}\n")
        else:
            body = (f"{broker.name} would like to introduce you to {other.name}.\n\n{note}\n\n"
                    "Contact details are shared only if you both accept. Accept or decline here "
                    f"(within {settings.expiry_days} days):\n{link}\n")
        rules.notify(session, [person.id], f"{broker.name} suggests you meet {other.name}", body, invite=True)
        if person.id != requester_id:  # the person asked; the requester already said yes
            notify_in_app(session, person_ids=[person.id], kind="introduction", actor_person_id=broker.id,
                          title=f"{broker.name} suggests you meet {other.name}",
                          url=f"/introductions/{introduction.id}")
    return introduction


def ask_broker(session: Session, requester: Person, target: Person, message: str = "", *,
               settings: IntroductionSettings | None = None) -> BrokerRequest:
    """A member asks the ecosystem admins to introduce them to `target` (useful when the two have no
    mutual connection). Counts toward the member's weekly limit like a direct request."""
    settings = settings_for(session, settings)
    message = rules.clean_note(message, what="message")
    rules.check_pair(session, requester, target, me=requester, unjoined_ok=True)
    if rules.open_broker_request(session, requester.id, target.id) is not None:
        raise DomainError(f"You have already asked the ecosystem admins to introduce you to {target.name}.")
    rules.check_weekly_limit(session, requester, settings)
    request = BrokerRequest(requester_id=requester.id, target_id=target.id, message=message, status=REQUEST_OPEN)
    session.add(request)
    session.flush()
    return request


@dataclass
class BrokerRequestRow:
    """One entry of the admins' queue, with both people and how many connections they share."""

    request: BrokerRequest
    requester: Person
    target: Person
    mutual_connections: int


def list_broker_requests(session: Session, *, status: str = REQUEST_OPEN, limit: int = 200,
                         requester_id: int | None = None) -> list[BrokerRequestRow]:
    """Requests for a brokered introduction, oldest first (the queue in the broker console).

    `requester_id` limits it to one member's own requests (their introductions page).
    """
    stmt = select(BrokerRequest).where(BrokerRequest.status == status)
    if requester_id is not None:
        stmt = stmt.where(BrokerRequest.requester_id == requester_id)
    requests = list(session.scalars(stmt.order_by(BrokerRequest.created_at, BrokerRequest.id).limit(limit)))
    people = persons_by_ids(session, {pid for r in requests for pid in (r.requester_id, r.target_id)})
    rows = []
    for request in requests:
        mutual = connection_ids(session, request.requester_id) & connection_ids(session, request.target_id)
        rows.append(BrokerRequestRow(request, people[request.requester_id], people[request.target_id], len(mutual)))
    return rows


def _open_request(session: Session, request_id: int) -> BrokerRequest:
    request = session.get(BrokerRequest, request_id) if isinstance(request_id, int) else None
    if request is None:
        raise NotFound("There is no such request.")
    if request.status != REQUEST_OPEN:
        raise DomainError(f"This request was already {request.status}.")
    return request


def propose_from_request(session: Session, broker_person_id: int, request_id: int, note: str, *,
                         score: float | None = None, reasons: list[str] | None = None,
                         settings: IntroductionSettings | None = None) -> Introduction:
    """Turn a member's request into a proposal (the member's side counts as accepted)."""
    _broker(session, broker_person_id)
    request = _open_request(session, request_id)
    introduction = propose_introduction(session, broker_person_id, request.requester_id, request.target_id, note,
                                        score=score, reasons=reasons, requester_id=request.requester_id,
                                        settings=settings)
    request.status, request.handled_by_id, request.handled_at = REQUEST_PROPOSED, broker_person_id, utcnow()
    request.introduction_id = introduction.id
    session.flush()
    return introduction


def decline_broker_request(session: Session, broker_person_id: int, request_id: int, reason: str = "", *,
                           settings: IntroductionSettings | None = None) -> BrokerRequest:
    """Decline a member's request; the member is told by mail, with the admin's reason if one is given."""
    settings = settings_for(session, settings)
    broker = _broker(session, broker_person_id)
    request = _open_request(session, request_id)
    reason = rules.clean_note(reason, what="reason")[:REASON_MAX]
    request.status, request.handled_by_id, request.handled_at = REQUEST_DECLINED, broker.id, utcnow()
    request.decline_reason = reason
    session.flush()
    target = session.get(Person, request.target_id)
    rules.notify(session, [request.requester_id], "About your introduction request",
                 f"The ecosystem admins could not arrange an introduction to {target.name} this time."
                 + (f"\n\n{broker.name} wrote:\n{reason}" if reason else "")
                 + f"\n\n{settings.link('/introductions/')}\n")
    return request


def withdraw_broker_request(session: Session, requester: Person, request_id: int) -> BrokerRequest:
    """The member takes back a request the admins have not handled yet."""
    request = session.get(BrokerRequest, request_id) if isinstance(request_id, int) else None
    if request is None or request.requester_id != requester.id:
        raise NotFound("There is no such request.")
    request = _open_request(session, request_id)
    request.status, request.handled_at = REQUEST_WITHDRAWN, utcnow()
    session.flush()
    return request


def record_suggestions(session: Session, broker_person_id: int | None,
                       pairs: Iterable[tuple[int, int, float]], *, created_at: datetime | None = None) -> int:
    """Record a batch's suggested pairs (the pipeline's first stage); returns how many were recorded.

    Pairs are stored low id first; a pair twice in one batch, or a person paired with themselves, is
    skipped. `broker_person_id` may be None for a batch run from the command line. `created_at`
    (default now) lets the demo date past batches.
    """
    now, seen, count = created_at or utcnow(), set(), 0
    for a_id, b_id, score in pairs:
        low, high = sorted((int(a_id), int(b_id)))
        if low == high or (low, high) in seen:
            continue
        seen.add((low, high))
        session.add(IntroductionSuggestion(broker_id=broker_person_id, a_id=low, b_id=high,
                                           score=float(score), created_at=now))
        count += 1
    session.flush()
    return count
