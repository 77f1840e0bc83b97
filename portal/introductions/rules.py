"""Who may be introduced to whom, and the per-person limits; shared by direct requests,
broker requests and broker proposals. Also the two side effects every change has: the
`introduction.changed` event and mail to the people concerned."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from portal.auth.member_accounts import account_states
from portal.db import queue_event, utcnow
from portal.errors import DomainError, NotFound
from portal.introductions.models import (
    ACCEPTED,
    DECLINED,
    PENDING,
    REQUEST_OPEN,
    BrokerRequest,
    Introduction,
)
from portal.introductions.settings import IntroductionSettings
from portal.mail.services import queue_mail
from portal.profiles.models import Person
from portal.profiles.services import are_connected
from portal.text import clean_text

NOTE_MAX = 2000
WEEK = timedelta(days=7)


def blocking_clause(now: datetime):
    """Introductions that keep a pair apart: accepted, declined, or pending and not yet past expiry
    (a pending one past its date counts as expired even before the expiry job has run)."""
    return or_(Introduction.status.in_((ACCEPTED, DECLINED)),
               and_(Introduction.status == PENDING, Introduction.expires_at > now))


def between(a_id: int, b_id: int):
    return or_(and_(Introduction.a_id == a_id, Introduction.b_id == b_id),
               and_(Introduction.a_id == b_id, Introduction.b_id == a_id))


def clean_note(note: str | None, *, required: bool = False, what: str = "note") -> str:
    note = clean_text(note or "")
    if required and not note:
        raise DomainError(f"Please write a short {what} for the two people.", field="note")
    if len(note) > NOTE_MAX:
        raise DomainError(f"A {what} can be at most {NOTE_MAX} characters.", field="note")
    return note


def person_or_error(session: Session, person_id: int | None) -> Person:
    person = session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None:
        raise NotFound("There is no such person.")
    return person


def check_reachable(session: Session, target: Person, *, unjoined_ok: bool = False) -> None:
    """The target must be able to answer: a member with a verified account that is not suspended.

    Listed profiles without an account (imported, not yet joined) cannot answer a direct
    request; an ecosystem admin may still introduce them (`unjoined_ok`) when their profile has an
    email address: the mail invites them to join with it, which claims the profile.
    """
    state = account_states(session, [target.id]).get(target.id)
    if state is not None and state.suspended:
        raise DomainError(f"{target.name}'s account is suspended, so no introduction is possible.")
    if state is not None and state.verified:
        return
    if not unjoined_ok:
        raise DomainError(f"{target.name} has not joined PartnerMesh yet, so they cannot answer a direct request. "
                          "You can ask an ecosystem admin to introduce you instead.")
    if not target.email:
        raise DomainError(f"{target.name} has not joined PartnerMesh yet and their profile has no email address, "
                          "so they cannot be reached.")


def check_pair(session: Session, first: Person, second: Person, *, me: Person | None = None,
               unjoined_ok: bool = False) -> None:
    """Raise a DomainError saying why these two cannot be introduced (worded for `me` when one of them).
    `unjoined_ok`: a broker is involved, who may introduce people who have not joined yet."""
    if first.id == second.id:
        raise DomainError("You cannot be introduced to yourself." if me is not None
                          else "An introduction needs two different people.")
    for person in (first, second):
        if me is None or person.id != me.id:
            check_reachable(session, person, unjoined_ok=unjoined_ok)
    if me is not None and me.id in (first.id, second.id):
        other = second if me.id == first.id else first
        prefix = f"You and {other.name}"
    else:
        prefix = f"{first.name} and {second.name}"
    if are_connected(session, first.id, second.id):
        raise DomainError(f"{prefix} are already connected.")
    existing = session.scalar(select(Introduction).where(between(first.id, second.id),
                                                         blocking_clause(utcnow())).limit(1))
    if existing is not None:
        if existing.status == PENDING:
            raise DomainError(f"{prefix} already have an introduction waiting for an answer.")
        if existing.status == DECLINED:
            raise DomainError(f"An introduction between {prefix[0].lower() + prefix[1:]} was declined, "
                              "so it cannot be requested again.")
        raise DomainError(f"{prefix} have already been introduced.")


def requests_this_week(session: Session, person_id: int, now: datetime) -> list[datetime]:
    """When this person asked for introductions (directly or through a broker) in the last 7 days."""
    since = now - WEEK
    direct = session.scalars(select(Introduction.created_at).where(
        Introduction.requester_id == person_id, Introduction.broker_id.is_(None), Introduction.created_at > since))
    brokered = session.scalars(select(BrokerRequest.created_at).where(
        BrokerRequest.requester_id == person_id, BrokerRequest.created_at > since))
    return sorted([*direct, *brokered])


def check_weekly_limit(session: Session, person: Person, settings: IntroductionSettings) -> None:
    now = utcnow()
    asked = requests_this_week(session, person.id, now)
    if len(asked) >= settings.per_week:
        next_possible = asked[len(asked) - settings.per_week] + WEEK
        raise DomainError(f"You can ask for at most {settings.per_week} introductions in 7 days. "
                          f"You can ask again after {next_possible:%d %b %Y, %H:%M} UTC.")


def waiting_for_answer(session: Session, person_id: int) -> int:
    """Pending introductions (not past expiry) this person has not answered yet."""
    now = utcnow()
    return session.scalar(select(func.count()).select_from(Introduction).where(
        Introduction.status == PENDING, Introduction.expires_at > now,
        or_(and_(Introduction.a_id == person_id, Introduction.a_answer.is_(None)),
            and_(Introduction.b_id == person_id, Introduction.b_answer.is_(None))))) or 0


def check_pending_limit(session: Session, person: Person, settings: IntroductionSettings) -> None:
    if waiting_for_answer(session, person.id) >= settings.max_pending:
        raise DomainError(f"{person.name} has too many introductions waiting for an answer right now. "
                          "Please try again in a few days.")


def open_broker_request(session: Session, requester_id: int, target_id: int) -> BrokerRequest | None:
    return session.scalar(select(BrokerRequest).where(
        BrokerRequest.requester_id == requester_id, BrokerRequest.target_id == target_id,
        BrokerRequest.status == REQUEST_OPEN).limit(1))


def changed(session: Session, introduction: Introduction) -> None:
    """Tell other features (graph, health, broker pipeline) after commit."""
    changed_ids(session, introduction.id, introduction.a_id, introduction.b_id, introduction.status)


def changed_ids(session: Session, introduction_id: int, a_id: int, b_id: int, status: str) -> None:
    queue_event(session, "introduction.changed", {"introduction_id": introduction_id, "person_ids": [a_id, b_id],
                                                  "status": status})


def notify(session: Session, person_ids: list[int], subject: str, body: str, *, invite: bool = False) -> int:
    """Mail each person's account address. People without an active account get nothing, except
    with `invite`: someone who has not joined (or not verified) yet gets it at their profile's
    address, with how to join to answer. Suspended accounts never get mail from here."""
    states = account_states(session, person_ids)
    sent = 0
    for person_id in person_ids:
        state = states.get(person_id)
        if state is not None and state.active:
            queue_mail(session, state.email, subject, body)
            sent += 1
        elif invite and (state is None or not state.suspended):
            person = session.get(Person, person_id)
            address = state.email if state is not None else person.email if person is not None else None
            if address:
                queue_mail(session, address, subject,
                           body + "\nYou have not joined PartnerMesh yet: sign up with this email address "
                                  "to answer (your listed profile becomes yours).\n")
                sent += 1
    return sent
