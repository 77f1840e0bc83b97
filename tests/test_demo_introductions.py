"""The demo's introductions: every pipeline stage filled, outcomes for the health page, only people
with accounts, dates spread over months, the printed members involved, same seed → same story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.auth.member_accounts import account_states
from portal.auth.services import authenticate
from portal.db import db
from portal.demo.generator import build_ecosystem, plan_ecosystem
from portal.demo.introductions import build_introductions
from portal.health.services import health_report
from portal.introductions import services as intros
from portal.introductions.conversation import conversation_messages
from portal.introductions.models import Introduction
from portal.profiles.models import Person
from portal.profiles.services import person_by_email, persons_by_ids
from tests.test_demo import fast_password_hashing, fresh_app  # noqa: F401 - fixtures

# The services stamp the real "now" and expire by it, so the story is anchored to today, as in `portal demo`.
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _story(session) -> list[tuple]:
    rows = session.scalars(select(Introduction).order_by(Introduction.created_at, Introduction.id))
    people = persons_by_ids(session, {pid for i in session.scalars(select(Introduction))
                                      for pid in (i.a_id, i.b_id)})
    return [(people[i.a_id].external_id, people[i.b_id].external_id, i.status, i.broker_id is not None,
             i.created_at.replace(microsecond=0)) for i in rows]


def _small_demo(session, seed: int = 3):
    plan = plan_ecosystem(seed, 20, 80, now=TODAY)
    result = build_ecosystem(session, plan)
    counts = build_introductions(session, plan, result, now=TODAY, seed=seed)
    return result, counts


def test_demo_fills_the_pipeline_and_the_acceptance_rate(session):
    result, counts = _small_demo(session)
    session.commit()
    assert 30 <= sum(counts["introduction"].values()) <= 60
    assert counts["broker request"]["open"] >= 1

    stages = intros.pipeline_counts(session)
    assert all(stages[stage] > 0 for stage in ("suggested", "proposed", "accepted", "met", "partnership")), stages
    outcomes = intros.introduction_outcomes(session)
    assert outcomes and {o.status for o in outcomes} >= {"pending", "accepted", "declined", "expired", "withdrawn"}
    assert any(o.brokered for o in outcomes) and any(not o.brokered for o in outcomes)
    assert min(o.created_at for o in outcomes) < TODAY - timedelta(days=90)
    rate = health_report(session, months=12).overall.acceptance_rate
    assert rate is not None and 0 < rate < 1

    # Only people with accounts, who can answer.
    people = {pid for o in outcomes for pid in (o.a_id, o.b_id)}
    states = account_states(session, people)
    assert set(states) == people and all(state.active for state in states.values())
    # The printed members (whose passwords the demo shows) have introductions to look at.
    printed = {person_by_email(session, m.email).id for m in result.members}
    assert sum(1 for o in outcomes if {o.a_id, o.b_id} & printed) >= 5
    member = next(m for m in result.members if authenticate(session, m.email, m.password))
    mine = intros.my_introductions(session, person_by_email(session, member.email))
    assert mine.incoming or mine.outgoing or mine.accepted or mine.closed

    # The broker's notes and the engine-like reasons are there; accepted ones have a conversation.
    brokered = session.scalars(select(Introduction).where(Introduction.broker_id.is_not(None))).all()
    assert all(i.note and i.reasons for i in brokered)
    talked = [i for i in session.scalars(select(Introduction).where(Introduction.status == "accepted"))
              if i.met_at is not None]
    assert talked and conversation_messages(session, session.get(Person, talked[0].a_id), talked[0].id)


def test_same_seed_same_story(session, fresh_app):  # noqa: F811 - fixture
    _small_demo(session, seed=5)
    first = _story(session)
    with fresh_app.app_context():
        other = db.new_session()
        _small_demo(other, seed=5)
        other.commit()
        assert _story(other) == first
        other.close()


@pytest.mark.parametrize("people", [1, 6])
def test_tiny_demos_still_load(session, people):
    plan = plan_ecosystem(1, 2, people, now=TODAY)
    result = build_ecosystem(session, plan)
    counts = build_introductions(session, plan, result, now=TODAY, seed=1)
    assert sum(counts["introduction"].values()) >= 0
