"""Introductions for the demo ecosystem, so that the broker's pipeline, members' introduction pages
and the health page's acceptance rate have something to show right after `portal demo`.

Everything goes through the introductions services (requests, proposals, answers, follow-ups,
messages), the way members and the ecosystem admin would have made them; only the dates are set
afterwards on the returned objects, spreading the story over the last months (the services stamp
"now"). Only people with accounts take part: a direct request or an answer needs one. Besides the
accounts `portal demo` prints, a few dozen demo people have joined (verified accounts whose
password nobody knows — a shared hash computed once, since one Argon2 hash per account would
double the demo's time).
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.auth.services import hash_password, register_account
from portal.introductions import services as intros
from portal.introductions.conversation import post_message
from portal.introductions.settings import settings_for
from portal.profiles.models import Person
from portal.profiles.services import connection_ids, person_by_email, person_by_external_id, person_tags

JOINED = 45          # demo people who joined besides the printed accounts
PER_PERSON = 3       # introductions one person takes part in at most
HISTORY_DAYS = 180   # how far back the story goes

# (route, outcome) for each introduction, in the order pairs are handed out. Routes: a direct
# request, a proposal by the ecosystem admin, a member's request the admin turned into a proposal.
# The printed members' pairs come first, so that logging in as one shows a bit of everything.
MEMBER_STORY = [("direct-to", "pending"), ("brokered", "messages"), ("brokered", "pending"),
                ("direct", "followup_due"), ("requested", "partnership"), ("direct", "messages"),
                ("brokered", "met"), ("direct-to", "declined"), ("direct", "pending"), ("brokered", "expired")]
STORY = (
    [("direct", "pending")] * 3 + [("direct", "accepted")] * 3 + [("direct", "met")] * 2
    + [("direct", "partnership")] * 2 + [("direct", "declined")] * 3 + [("direct", "expired")] * 2
    + [("direct", "withdrawn")] * 1 + [("brokered", "pending")] * 3 + [("brokered", "accepted")] * 2
    + [("brokered", "met")] * 3 + [("brokered", "partnership")] * 2 + [("brokered", "declined")] * 2
    + [("brokered", "expired")] * 2 + [("requested", "met")] * 1 + [("brokered", "followup_due")] * 1
)
UNPROPOSED_SUGGESTIONS = 30  # batches suggest more pairs than get proposed
OPEN_BROKER_REQUESTS = 2

NOTES = (
    "{a}, meet {b}: you look for {topic} and {b_first}'s team offers it. Worth a call?",
    "I think you two should talk about {topic}. {a_first}, {b_first} — over to you!",
    "{b_first} helped two partners with {topic} this year; {a_first} is planning just that.",
)
MESSAGES = (
    "Thanks for accepting! When would suit you for a call about {topic}?",
    "Happy to talk. Thursday afternoon works for me — I'll send an invite.",
    "Great call today. I'll share our {topic} checklist as promised.",
)


@dataclass
class _Member:
    person: Person
    company_id: int | None
    offers: set[str]
    needs: set[str]
    topics: set[str]  # skills and interests
    printed: bool


@dataclass
class _Pair:
    a: _Member  # the one who looks for something (the requester of a direct request)
    b: _Member
    score: float
    reasons: list[str]
    topic: str


def _first(person: Person) -> str:
    return person.name.split()[0]


def _join(session: Session, plan, result, rng: random.Random) -> list[_Member]:
    """The printed accounts plus JOINED more people with a company who get an account."""
    printed = [person_by_email(session, account.email) for account in result.members]
    skip = {plan.ecosystem_admin, *plan.members_with_accounts, *plan.pending}
    candidates = [r["id"] for r in plan.records if r.get("kind") == "person" and r.get("company")
                  and r["id"] not in skip]
    chosen = rng.sample(candidates, min(JOINED, len(candidates)))
    shared_hash = hash_password(secrets.token_urlsafe(24))
    joined = []
    for external_id in chosen:
        person = person_by_external_id(session, external_id)
        register_account(session, person.name, plan.emails[external_id], "", verified=True,
                         password_hash=shared_hash)
        joined.append(person)
    tags = person_tags(session, [p.id for p in printed + joined])

    def member(person: Person, is_printed: bool) -> _Member:
        names = {kind: {t.name for t in found} for kind, found in tags[person.id].items()}
        return _Member(person, person.company_id, names.get("offer", set()), names.get("need", set()),
                       names.get("skill", set()) | names.get("interest", set()), is_printed)

    return [member(p, True) for p in printed] + [member(p, False) for p in joined]


def _score(a: _Member, b: _Member) -> _Pair | None:
    """How well `a`'s needs meet `b`'s offers (plus shared topics); None for colleagues."""
    if a.company_id is not None and a.company_id == b.company_id:
        return None
    met = sorted(a.needs & b.offers)
    shared = sorted(a.topics & b.topics)
    if not met and not shared:
        return None
    reasons = [f"{_first(a.person)} looks for {met[0]}; {b.person.name} offers it"] if met else []
    if shared:
        reasons.append(f"Both work on {', '.join(shared[:2])}")
    return _Pair(a, b, round(min(1.0, 0.35 * len(met) + 0.1 * len(shared)), 3), reasons,
                 (met or shared)[0])


def _pairs(session: Session, members: list[_Member], wanted: int,
           rng: random.Random) -> tuple[list[_Pair], list[_Pair]]:
    """Up to `wanted` pairs of people who are not connected, best first, nobody in more than
    PER_PERSON; each printed member gets their best partners first. Also the pairs left over
    (other people, or people already in enough pairs), for suggestions never proposed."""
    connected = {m.person.id: connection_ids(session, m.person.id) for m in members}
    options = []
    for a in members:
        for b in members:
            if a is not b and b.person.id not in connected[a.person.id]:
                pair = _score(a, b)
                if pair is not None:
                    options.append((pair.score + rng.random() * 0.05, pair))
    options.sort(key=lambda item: (-item[0], item[1].a.person.id, item[1].b.person.id))
    used: Counter = Counter()
    seen: set[frozenset] = set()
    chosen: list[_Pair] = []

    def take(pair: _Pair, limit: int) -> bool:
        key = frozenset((pair.a.person.id, pair.b.person.id))
        if key in seen or used[pair.a.person.id] >= limit or used[pair.b.person.id] >= limit:
            return False
        seen.add(key)
        used.update([pair.a.person.id, pair.b.person.id])
        chosen.append(pair)
        return True

    for rank in range(2):  # two rounds: each printed member's best partner, then their second
        for m in (m for m in members if m.printed):
            for _, pair in options:
                if m in (pair.a, pair.b) and not (pair.a.printed and pair.b.printed) and take(pair, rank + 1):
                    break
    for _, pair in options:
        if len(chosen) >= wanted:
            break
        take(pair, PER_PERSON)
    spare = []
    for _, pair in options:
        key = frozenset((pair.a.person.id, pair.b.person.id))
        if key not in seen:
            seen.add(key)
            spare.append(pair)
    return chosen, spare


def build_introductions(session: Session, plan, result, *, now: datetime, seed: int) -> dict[str, Counter]:
    """Create the demo's introductions (flushes, never commits). Returns counts: introductions by
    status, suggestions recorded, open broker requests."""
    rng = random.Random(f"introductions-{seed}")
    settings = settings_for(session)
    admin = person_by_email(session, result.admin.email)
    members = _join(session, plan, result, rng)
    printed_story = MEMBER_STORY[:2 * sum(m.printed for m in members)]
    story = printed_story + STORY
    pairs, spare = _pairs(session, members, len(story) + OPEN_BROKER_REQUESTS, rng)
    counts: Counter = Counter()
    suggested: Counter = Counter()
    made = []
    for (route, outcome), pair in zip(story, pairs, strict=False):
        made.append((_introduce(session, admin, pair, route, outcome, now, rng, settings), pair, outcome))
    rest = pairs[len(made):]
    # What the admin's batches suggested: the brokered pairs (on the day before they were proposed)
    # and some never proposed.
    for introduction, pair, _ in made:
        if introduction.broker_id is not None:
            suggested["created"] += intros.record_suggestions(
                session, admin.id, [(pair.a.person.id, pair.b.person.id, pair.score)],
                created_at=introduction.created_at - timedelta(days=1))
    for pair in spare[:UNPROPOSED_SUGGESTIONS]:
        suggested["created"] += intros.record_suggestions(
            session, admin.id, [(pair.a.person.id, pair.b.person.id, pair.score)],
            created_at=now - timedelta(days=rng.uniform(1, HISTORY_DAYS)))
    for pair in rest[:OPEN_BROKER_REQUESTS]:
        request = intros.ask_broker(session, pair.a.person, pair.b.person,
                                    f"We are looking for help with {pair.topic}; could you introduce us?")
        request.created_at = now - timedelta(days=rng.uniform(0.5, 5))
        suggested["broker requests"] += 1
    intros.expire_due(session)
    intros.send_followups(session)
    for introduction, pair, outcome in made:
        _follow_up(session, introduction, pair, outcome, rng, settings, now)
        counts[introduction.status] += 1
    session.flush()
    return {"introduction": counts, "introduction suggestion": Counter(created=suggested["created"]),
            "broker request": Counter(open=suggested["broker requests"])}


def _introduce(session: Session, admin: Person, pair: _Pair, route: str, outcome: str, now: datetime,
               rng: random.Random, settings):
    """One introduction from request to answers, then dated: created some time ago, answered a few
    days later."""
    a, b = pair.a.person, pair.b.person
    if route == "direct-to":  # someone asks the printed member
        if pair.a.printed:
            a, b = b, a
        route = "direct"
    elif pair.b.printed and not pair.a.printed:  # the printed member is the one who asks
        a, b = b, a
    values = {"a": a.name, "b": b.name, "a_first": _first(a), "b_first": _first(b), "topic": pair.topic}
    if outcome == "pending":
        created = now - timedelta(days=rng.uniform(0.2, settings.expiry_days - 3))
    elif outcome in ("accepted", "messages"):
        created = now - timedelta(days=rng.uniform(2, settings.followup_days - 4))
    elif outcome == "expired":
        created = now - timedelta(days=rng.uniform(settings.expiry_days + 2, HISTORY_DAYS))
    else:  # answered long enough ago for the follow-up
        created = now - timedelta(days=rng.uniform(settings.followup_days + 12, HISTORY_DAYS))
    if route == "direct":
        introduction = intros.request_introduction(session, a, b, f"Hello {_first(b)}, I'd like to talk about "
                                                                  f"{pair.topic}.")
    else:
        note = rng.choice(NOTES).format(**values)
        if route == "requested":
            request = intros.ask_broker(session, a, b, f"Could you introduce me to {b.name}? {pair.topic}.")
            introduction = intros.propose_from_request(session, admin.id, request.id, note, score=pair.score,
                                                       reasons=pair.reasons)
            request.created_at = created - timedelta(days=rng.uniform(0.5, 3))
            request.handled_at = created
        else:
            introduction = intros.propose_introduction(session, admin.id, a.id, b.id, note, score=pair.score,
                                                       reasons=pair.reasons)
    # The answers first (the services refuse to change an introduction past its expiry), the dates after.
    answered_sides = []
    if outcome == "withdrawn":
        intros.withdraw_introduction(session, a, introduction.id)
    elif outcome not in ("pending", "expired"):
        for side, person in (("a", a), ("b", b)):
            if getattr(introduction, f"{side}_answer") is None:
                accept = not (outcome == "declined" and side == "b")  # the one asked is the one who declines
                reason = "" if accept else rng.choice(list(intros.DECLINE_REASONS))
                intros.answer_introduction(session, person, introduction.id, accept, reason)
                answered_sides.append(side)
    introduction.created_at = created
    introduction.expires_at = created + timedelta(days=settings.expiry_days)
    if introduction.a_answered_at is not None and "a" not in answered_sides:
        introduction.a_answered_at = created  # the requester's own "yes"
    answered = created
    for side in answered_sides:
        answered = min(answered + timedelta(days=rng.uniform(0.2, 4)), now)
        setattr(introduction, f"{side}_answered_at", answered)
    if outcome == "withdrawn":
        introduction.decided_at = created + timedelta(days=rng.uniform(0.5, 3))
    elif answered_sides:
        introduction.decided_at = answered
    return introduction


def _follow_up(session: Session, introduction, pair: _Pair, outcome: str, rng: random.Random, settings,
               now: datetime) -> None:
    """After the follow-up was sent: the answers of those who met, and a few first messages."""
    a, b = (pair.a.person, pair.b.person) if pair.a.person.id == introduction.a_id else (pair.b.person, pair.a.person)
    if introduction.followup_sent_at is not None:
        introduction.followup_sent_at = introduction.decided_at + timedelta(days=settings.followup_days)
    if outcome in ("met", "partnership"):
        intros.answer_followup(session, b, introduction.id, met=True, partnership=outcome == "partnership")
        answered = introduction.followup_sent_at + timedelta(days=rng.uniform(0.5, 6))
        introduction.b_followup_answered_at = introduction.met_at = answered
        if outcome == "partnership":
            introduction.partnership_at = answered
    if outcome in ("messages", "met", "partnership"):
        when = introduction.decided_at
        for number, (author, text) in enumerate(zip((a, b, a), MESSAGES, strict=False)):
            if outcome != "messages" and number > 1:
                break
            when += timedelta(hours=rng.uniform(2, 40))
            message = post_message(session, author, introduction.id, text.format(topic=pair.topic))
            message.created_at = min(when, now)
