"""Introductions: direct requests, double opt-in answers, withdrawal, expiry, and what each
member sees of their introductions.

Services flush, never commit; they raise DomainError with a message meant for the member.
Other features read introductions only through the functions here: the matching engine calls
`excluded_person_ids` / `excluded_pairs`, the broker console `propose_introduction`,
`record_suggestions`, `pipeline_counts` and the broker-request queue, ecosystem health
`introduction_outcomes`.

Double opt-in: nothing about the other person beyond what their profile already shows the
member becomes visible until both have accepted. Then the two are connected
(portal.profiles.services.connect, so connection-level fields such as email show) and a
private conversation opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.introductions import conversation, rules
from portal.introductions.brokering import (  # noqa: F401 - part of this module's interface
    ask_broker,
    decline_broker_request,
    list_broker_requests,
    propose_from_request,
    propose_introduction,
    record_suggestions,
    withdraw_broker_request,
)
from portal.introductions.followup import answer_followup, send_followups  # noqa: F401
from portal.introductions.models import (
    ACCEPTED,
    ANSWER_ACCEPTED,
    ANSWER_DECLINED,
    DECLINED,
    EXPIRED,
    PENDING,
    WITHDRAWN,
    Introduction,
)
from portal.introductions.pipeline import (  # noqa: F401 - part of this module's interface
    IntroductionOutcome,
    introduction_outcomes,
    pipeline_counts,
)
from portal.introductions.settings import IntroductionSettings, settings_for
from portal.notifications.services import notify as notify_in_app
from portal.profiles.models import Person
from portal.profiles.services import connect, connection_ids, persons_by_ids

# Neutral decline reasons: the requester (or broker) sees the label, never free text.
DECLINE_REASONS = {
    "timing": "Not the right time",
    "fit": "Not a fit for their current work",
    "known": "They are already in touch another way",
    "other": "Other reasons",
}


def excluded_person_ids(session: Session, person_id: int) -> set[int]:
    """People with whom `person_id` has a pending, accepted or declined introduction (either side),
    so that recommendations skip them."""
    rows = session.execute(select(Introduction.a_id, Introduction.b_id).where(
        or_(Introduction.a_id == person_id, Introduction.b_id == person_id), rules.blocking_clause(utcnow())))
    return {b if a == person_id else a for a, b in rows}


def excluded_pairs(session: Session) -> set[tuple[int, int]]:
    """Every pair (low id, high id) with a pending, accepted or declined introduction."""
    rows = session.execute(select(Introduction.a_id, Introduction.b_id).where(rules.blocking_clause(utcnow())))
    return {(a, b) if a < b else (b, a) for a, b in rows}


def request_introduction(session: Session, requester: Person, target: Person, note: str = "", *,
                         settings: IntroductionSettings | None = None) -> Introduction:
    """A member asks to be introduced to `target` directly. The requester's own answer counts as
    accepted; the target accepts or declines."""
    settings = settings_for(session, settings)
    note = rules.clean_note(note, what="message")
    rules.check_pair(session, requester, target, me=requester)
    if rules.open_broker_request(session, requester.id, target.id) is not None:
        raise DomainError(f"You have already asked the ecosystem admins to introduce you to {target.name}.")
    rules.check_weekly_limit(session, requester, settings)
    rules.check_pending_limit(session, target, settings)
    now = utcnow()
    introduction = Introduction(a_id=requester.id, b_id=target.id, requester_id=requester.id, note=note,
                                status=PENDING, created_at=now, expires_at=now + timedelta(days=settings.expiry_days),
                                a_answer=ANSWER_ACCEPTED, a_answered_at=now)
    session.add(introduction)
    session.flush()
    rules.changed(session, introduction)
    rules.notify(session, [target.id], f"{requester.name} would like to be introduced to you",
                 f"{requester.name} asked for an introduction to you on PartnerMesh.\n\n"
                 + (f"Their message:\n{note}\n\n" if note else "")
                 + "Contact details are shared only if you accept. Accept or decline here "
                   f"(within {settings.expiry_days} days):\n{settings.link(f'/introductions/{introduction.id}')}\n")
    # In-app too (the mail above is the proposal itself; notifications add the badge and the digest).
    notify_in_app(session, person_ids=[target.id], kind="introduction", actor_person_id=requester.id,
                  title=f"{requester.name} would like to be introduced to you", url=f"/introductions/{introduction.id}")
    return introduction


def introduction_blocker(session: Session, requester: Person, target: Person, *,
                         via_broker: bool = False) -> str | None:
    """Why `requester` cannot ask for an introduction to `target` right now, directly or through the
    admins (None when they can): the request form says so before anyone types a message."""
    try:
        rules.check_pair(session, requester, target, me=requester, unjoined_ok=via_broker)
    except DomainError as error:
        return error.message
    return None


def mutual_connections(session: Session, me: Person, other: Person) -> list[Person]:
    """People both are connected to (me is connected to each, so naming them reveals nothing new)."""
    ids = connection_ids(session, me.id) & connection_ids(session, other.id)
    return sorted(persons_by_ids(session, ids).values(), key=lambda p: (p.name, p.id))


def expire_due(session: Session, now=None) -> int:
    """Mark pending introductions past their expiry date as expired; returns how many.

    Run by `portal introductions expire` and lazily before introduction pages are read. One
    UPDATE per thousand rows rather than one per introduction (a first run after a long pause
    may find thousands); rows another transaction is expiring are skipped, not waited for.
    """
    now = now or utcnow()
    due = session.execute(select(Introduction.id, Introduction.a_id, Introduction.b_id).where(
        Introduction.status == PENDING, Introduction.expires_at <= now).with_for_update(skip_locked=True)).all()
    ids = [row.id for row in due]
    for start in range(0, len(ids), 1000):
        session.execute(update(Introduction).where(Introduction.id.in_(ids[start:start + 1000]),
                                                   Introduction.status == PENDING)
                        .values(status=EXPIRED, decided_at=Introduction.expires_at)
                        .execution_options(synchronize_session=False))
    for introduction_id, a_id, b_id in due:
        loaded = session.identity_map.get(session.identity_key(Introduction, introduction_id))
        if loaded is not None:
            session.expire(loaded, ["status", "decided_at"])
        rules.changed_ids(session, introduction_id, a_id, b_id, EXPIRED)
    return len(ids)


def _introduction_for(session: Session, person: Person, introduction_id: int) -> Introduction:
    """An introduction `person` is one of the two people of (anyone else gets NotFound, not a hint)."""
    introduction = session.get(Introduction, introduction_id) if isinstance(introduction_id, int) else None
    if introduction is None or introduction.side(person.id) is None:
        raise NotFound("There is no such introduction.")
    return introduction


def _still_pending(session: Session, introduction: Introduction) -> None:
    if introduction.status == PENDING and introduction.expires_at <= utcnow():
        expire_due(session)
    if introduction.status != PENDING:
        raise DomainError(f"This introduction is {introduction.status} and can no longer be changed.")


def answer_introduction(session: Session, person: Person, introduction_id: int, accept: bool,
                        reason: str = "", *, settings: IntroductionSettings | None = None) -> Introduction:
    """Accept or decline (with an optional neutral reason, one of DECLINE_REASONS).

    When both have accepted: the two are connected, the private conversation opens and both are
    told by mail. A decline closes the introduction for both.
    """
    settings = settings_for(session, settings)
    introduction = _introduction_for(session, person, introduction_id)
    _still_pending(session, introduction)
    side = introduction.side(person.id)
    if getattr(introduction, f"{side}_answer") is not None:
        raise DomainError("You have already answered this introduction.")
    reason = (reason or "").strip()
    if reason and reason not in DECLINE_REASONS:
        raise DomainError("Please choose one of the listed reasons (or none).", field="reason")
    now = utcnow()
    setattr(introduction, f"{side}_answer", ANSWER_ACCEPTED if accept else ANSWER_DECLINED)
    setattr(introduction, f"{side}_answered_at", now)
    people = persons_by_ids(session, introduction.person_ids)
    a, b = people[introduction.a_id], people[introduction.b_id]
    link = settings.link(f"/introductions/{introduction.id}")
    if not accept:
        setattr(introduction, f"{side}_decline_reason", reason)
        introduction.status, introduction.decided_at = DECLINED, now
        # The broker, and the other person when they had said yes (a requester counts as yes).
        other_id = introduction.other_id(person.id)
        told = {pid for pid in (introduction.broker_id,) if pid is not None}
        if introduction.answer_of(other_id) == ANSWER_ACCEPTED:
            told.add(other_id)
        rules.notify(session, sorted(set(told)), "An introduction was declined",
                     f"The introduction between {a.name} and {b.name} was declined"
                     + (f" ({DECLINE_REASONS[reason].lower()})" if reason else "") + ".\n\n" + link + "\n")
    elif introduction.a_answer == ANSWER_ACCEPTED and introduction.b_answer == ANSWER_ACCEPTED:
        introduction.status, introduction.decided_at = ACCEPTED, now
        connect(session, a, b)
        conversation.open_conversation(session, introduction)
        rules.notify(session, [a.id, b.id], f"Introduction accepted: {a.name} and {b.name}",
                     f"{a.name} and {b.name} both accepted the introduction. You are now connected: "
                     "contact details your profiles share with connections are visible to each other, "
                     f"and a private conversation is open:\n{link}\n")
        if introduction.broker_id is not None:
            rules.notify(session, [introduction.broker_id], f"Introduction accepted: {a.name} and {b.name}",
                         f"Both accepted your introduction.\n{link}\n")
    session.flush()
    rules.changed(session, introduction)
    return introduction


def withdraw_introduction(session: Session, person: Person, introduction_id: int) -> Introduction:
    """The member who asked takes a pending request back."""
    introduction = _introduction_for(session, person, introduction_id)
    if introduction.requester_id != person.id or introduction.broker_id is not None:
        raise DomainError("Only the person who asked for an introduction can withdraw it.")
    _still_pending(session, introduction)
    introduction.status, introduction.decided_at = WITHDRAWN, utcnow()
    session.flush()
    rules.changed(session, introduction)
    return introduction


@dataclass
class IntroductionView:
    """One introduction as a member sees it: the other person, who asked, what is waiting for whom."""

    introduction: Introduction
    other: Person
    broker: Person | None
    my_answer: str | None
    their_answer: str | None
    i_asked: bool
    decline_label: str = ""
    can_answer: bool = False
    can_withdraw: bool = False
    followup_due: bool = False


def _view(introduction: Introduction, me: Person, people: dict[int, Person], now,
          followup_days: int) -> IntroductionView:
    other_id = introduction.other_id(me.id)
    my_answer, their_answer = introduction.answer_of(me.id), introduction.answer_of(other_id)
    decline_code = introduction.a_decline_reason or introduction.b_decline_reason
    pending = introduction.status == PENDING
    followup_due = (introduction.status == ACCEPTED and introduction.decided_at is not None
                    and getattr(introduction, f"{introduction.side(me.id)}_followup_answered_at") is None
                    and (introduction.followup_sent_at is not None
                         or introduction.decided_at <= now - timedelta(days=followup_days)))
    return IntroductionView(
        introduction=introduction, other=people[other_id], broker=people.get(introduction.broker_id),
        my_answer=my_answer, their_answer=their_answer, i_asked=introduction.requester_id == me.id,
        # Only the neutral label; and only to someone who was not the one declining.
        decline_label=(DECLINE_REASONS.get(decline_code, "") if introduction.status == DECLINED
                       and my_answer != ANSWER_DECLINED else ""),
        can_answer=pending and my_answer is None,
        can_withdraw=pending and introduction.requester_id == me.id and introduction.broker_id is None,
        followup_due=followup_due)


@dataclass
class MyIntroductions:
    incoming: list[IntroductionView] = field(default_factory=list)   # waiting for my answer
    outgoing: list[IntroductionView] = field(default_factory=list)   # waiting for the other's answer
    accepted: list[IntroductionView] = field(default_factory=list)
    closed: list[IntroductionView] = field(default_factory=list)     # declined, expired, withdrawn
    followups: list[IntroductionView] = field(default_factory=list)  # accepted, asking whether we met


def my_introductions(session: Session, person: Person, *,
                     settings: IntroductionSettings | None = None) -> MyIntroductions:
    """Every introduction `person` is one of the two people of, grouped for the page (expired ones
    are marked first, so that none shows as pending past its date)."""
    settings = settings_for(session, settings)
    expire_due(session)
    rows = list(session.scalars(select(Introduction).where(
        or_(Introduction.a_id == person.id, Introduction.b_id == person.id))
        .order_by(Introduction.created_at.desc(), Introduction.id.desc())))
    people = persons_by_ids(session, {pid for i in rows for pid in (i.a_id, i.b_id, i.broker_id)})
    result, now = MyIntroductions(), utcnow()
    for introduction in rows:
        view = _view(introduction, person, people, now, settings.followup_days)
        if introduction.status == PENDING:
            (result.incoming if view.can_answer else result.outgoing).append(view)
        elif introduction.status == ACCEPTED:
            result.accepted.append(view)
            if view.followup_due:
                result.followups.append(view)
        else:
            result.closed.append(view)
    return result


def introduction_detail(session: Session, person: Person, introduction_id: int, *,
                        settings: IntroductionSettings | None = None) -> IntroductionView:
    """One introduction for one of its two people (NotFound for anyone else)."""
    settings = settings_for(session, settings)
    introduction = _introduction_for(session, person, introduction_id)
    if introduction.status == PENDING and introduction.expires_at <= utcnow():
        expire_due(session)
    people = persons_by_ids(session, (introduction.a_id, introduction.b_id, introduction.broker_id))
    return _view(introduction, person, people, utcnow(), settings.followup_days)


@dataclass
class BrokerIntroductionView:
    """An introduction as an ecosystem admin sees it from the broker console: both answers, the
    neutral decline reason, the engine's score and reasons; never the private conversation."""

    introduction: Introduction
    a: Person
    b: Person
    broker: Person | None
    requester: Person | None
    decline_label: str = ""


def introduction_for_admin(session: Session, introduction_id: int) -> BrokerIntroductionView:
    """One introduction for an ecosystem admin (the caller checks the role). NotFound when missing."""
    introduction = session.get(Introduction, introduction_id) if isinstance(introduction_id, int) else None
    if introduction is None:
        raise NotFound("There is no such introduction.")
    if introduction.status == PENDING and introduction.expires_at <= utcnow():
        expire_due(session)
    people = persons_by_ids(session, (introduction.a_id, introduction.b_id, introduction.broker_id,
                                      introduction.requester_id))
    code = introduction.a_decline_reason or introduction.b_decline_reason
    return BrokerIntroductionView(introduction, people[introduction.a_id], people[introduction.b_id],
                                  people.get(introduction.broker_id), people.get(introduction.requester_id),
                                  DECLINE_REASONS.get(code, "") if introduction.status == DECLINED else "")


def pending_answer_count(session: Session, person: Person) -> int:
    """Introductions waiting for this person's answer (a badge in the navigation)."""
    return rules.waiting_for_answer(session, person.id)
