"""Introductions without HTTP: double opt-in, declines, expiry, limits, who may be introduced,
follow-ups, the private conversation, brokered proposals and the pipeline counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.introductions import services
from portal.introductions.conversation import conversation_messages, post_message
from portal.introductions.followup import followups_due
from portal.introductions.models import ACCEPTED, DECLINED, EXPIRED, PENDING, WITHDRAWN
from portal.introductions.settings import IntroductionSettings
from portal.profiles.services import are_connected, connect, create_person
from portal.profiles.visibility import Viewer, visible_fields_for
from tests.test_auth_support import mails_to
from tests.test_companies_support import make_user

SETTINGS = IntroductionSettings(expiry_days=14, per_week=3, max_pending=2, followup_days=14)


@pytest.fixture
def people(session):
    """Three members and an ecosystem admin."""
    _, ann = make_user(session, "ann@example.org", name="Ann Able")
    _, bob = make_user(session, "bob@example.org", name="Bob Baker")
    _, cat = make_user(session, "cat@example.org", name="Cat Cole")
    _, eve = make_user(session, "eve@example.org", name="Eve Admin", role="ecosystem_admin")
    return ann, bob, cat, eve


def test_direct_request_double_opt_in_connects_and_opens_conversation(session, people):
    ann, bob, _cat, _eve = people
    intro = services.request_introduction(session, ann, bob, "We both do SAP logistics.", settings=SETTINGS)
    assert intro.status == PENDING and intro.a_answer == "accepted"
    assert [m.subject for m in mails_to(session, "bob@example.org")] == ["Ann Able would like to be introduced to you"]
    # Before Bob accepts: not connected, Ann cannot see Bob's connections-only email.
    viewer = Viewer(person_id=ann.id, is_member=True, connection_ids=frozenset())
    assert "email" not in visible_fields_for(bob, viewer)
    assert not are_connected(session, ann.id, bob.id)
    with pytest.raises(DomainError, match="opens once both"):
        conversation_messages(session, ann, intro.id)

    services.answer_introduction(session, bob, intro.id, accept=True, settings=SETTINGS)
    assert intro.status == ACCEPTED and intro.decided_at is not None
    assert are_connected(session, ann.id, bob.id)
    viewer = Viewer(person_id=ann.id, is_member=True, connection_ids=frozenset({bob.id}))
    assert "email" in visible_fields_for(bob, viewer)
    post_message(session, ann, intro.id, "Hello Bob!", settings=SETTINGS)
    assert [m.body for m, _ in conversation_messages(session, bob, intro.id)] == ["Hello Bob!"]
    assert any(m.subject.startswith("Introduction accepted") for m in mails_to(session, "ann@example.org"))
    assert any(m.subject == "Ann Able wrote to you on PartnerMesh" for m in mails_to(session, "bob@example.org"))


def test_conversation_is_private_to_the_two(session, people):
    ann, bob, cat, eve = people
    intro = services.propose_introduction(session, eve.id, ann.id, bob.id, "You two should talk.", settings=SETTINGS)
    services.answer_introduction(session, ann, intro.id, accept=True, settings=SETTINGS)
    assert intro.status == PENDING  # brokered: both must accept
    services.answer_introduction(session, bob, intro.id, accept=True, settings=SETTINGS)
    post_message(session, bob, intro.id, "Hi Ann", settings=SETTINGS)
    for outsider in (cat, eve):  # another member, and even the broker
        with pytest.raises(NotFound):
            conversation_messages(session, outsider, intro.id)
        with pytest.raises(NotFound):
            post_message(session, outsider, intro.id, "let me in", settings=SETTINGS)


def test_decline_with_neutral_reason(session, people):
    ann, bob, _cat, _eve = people
    intro = services.request_introduction(session, ann, bob, settings=SETTINGS)
    services.answer_introduction(session, bob, intro.id, accept=False, reason="timing", settings=SETTINGS)
    assert intro.status == DECLINED and not are_connected(session, ann.id, bob.id)
    seen_by_ann = services.introduction_detail(session, ann, intro.id, settings=SETTINGS)
    assert seen_by_ann.decline_label == "Not the right time"
    assert [m.subject for m in mails_to(session, "ann@example.org")] == ["An introduction was declined"]
    # Declined pairs are excluded from recommendations and cannot be asked again.
    assert services.excluded_person_ids(session, ann.id) == {bob.id}
    assert services.excluded_pairs(session) == {tuple(sorted((ann.id, bob.id)))}
    with pytest.raises(DomainError, match="declined"):
        services.request_introduction(session, bob, ann, settings=SETTINGS)
    with pytest.raises(DomainError, match="no longer be changed"):
        services.answer_introduction(session, bob, intro.id, accept=True, settings=SETTINGS)


def test_unknown_decline_reason_is_refused(session, people):
    ann, bob, _cat, _eve = people
    intro = services.request_introduction(session, ann, bob, settings=SETTINGS)
    with pytest.raises(DomainError, match="listed reasons"):
        services.answer_introduction(session, bob, intro.id, accept=False, reason="you are rude", settings=SETTINGS)


def test_withdraw_only_by_requester(session, people):
    ann, bob, _cat, _eve = people
    intro = services.request_introduction(session, ann, bob, settings=SETTINGS)
    with pytest.raises(DomainError, match="Only the person who asked"):
        services.withdraw_introduction(session, bob, intro.id)
    services.withdraw_introduction(session, ann, intro.id)
    assert intro.status == WITHDRAWN
    assert services.excluded_person_ids(session, ann.id) == set()
    services.request_introduction(session, ann, bob, settings=SETTINGS)  # may ask again later


def test_expiry_marks_pending_as_expired_and_frees_the_pair(session, people):
    ann, bob, _cat, _eve = people
    intro = services.request_introduction(session, ann, bob, settings=SETTINGS)
    assert intro.expires_at - intro.created_at == timedelta(days=14)
    intro.expires_at = utcnow() - timedelta(minutes=1)
    session.flush()
    # Lazily: even before the job runs, reads treat it as expired.
    assert services.excluded_person_ids(session, ann.id) == set()
    assert services.introduction_outcomes(session)[0].status == EXPIRED
    mine = services.my_introductions(session, ann, settings=SETTINGS)
    assert [v.introduction.status for v in mine.closed] == [EXPIRED] and not mine.outgoing
    assert services.expire_due(session) == 0  # the page read already expired it
    with pytest.raises(DomainError, match="expired"):
        services.answer_introduction(session, bob, intro.id, accept=True, settings=SETTINGS)


def test_expire_job_counts(session, people):
    ann, bob, cat, _eve = people
    first = services.request_introduction(session, ann, bob, settings=SETTINGS)
    services.request_introduction(session, ann, cat, settings=SETTINGS)
    first.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert services.expire_due(session) == 1
    assert first.status == EXPIRED and first.decided_at == first.expires_at


def test_weekly_limit_counts_direct_and_broker_requests(session, people):
    ann, *_ = people
    targets = [make_user(session, name=f"Target {n}")[1] for n in range(4)]
    services.request_introduction(session, ann, targets[0], settings=SETTINGS)
    services.ask_broker(session, ann, targets[1], settings=SETTINGS)
    services.request_introduction(session, ann, targets[2], settings=SETTINGS)
    with pytest.raises(DomainError, match="at most 3 introductions in 7 days"):
        services.request_introduction(session, ann, targets[3], settings=SETTINGS)
    with pytest.raises(DomainError, match="at most 3"):
        services.ask_broker(session, ann, targets[3], settings=SETTINGS)


def test_weekly_limit_is_rolling(session, people):
    ann, *_ = people
    targets = [make_user(session, name=f"Target {n}")[1] for n in range(4)]
    old = [services.request_introduction(session, ann, t, settings=SETTINGS) for t in targets[:3]]
    old[0].created_at = utcnow() - timedelta(days=8)
    session.flush()
    services.request_introduction(session, ann, targets[3], settings=SETTINGS)


def test_receiving_limit(session, people):
    ann, bob, cat, _eve = people
    services.request_introduction(session, ann, bob, settings=SETTINGS)
    services.request_introduction(session, cat, bob, settings=SETTINGS)
    _, dan = make_user(session, name="Dan Drew")
    with pytest.raises(DomainError, match="Bob Baker has too many introductions waiting"):
        services.request_introduction(session, dan, bob, settings=SETTINGS)
    assert services.pending_answer_count(session, bob) == 2


@pytest.mark.parametrize("case", ["self", "suspended", "no_account", "connected", "pending"])
def test_targets_that_cannot_be_introduced(session, people, case):
    ann, bob, _cat, _eve = people
    if case == "self":
        target, message = ann, "yourself"
    elif case == "suspended":
        user, target = make_user(session, name="Sam Suspended")
        user.suspended_at = utcnow()
        session.flush()
        message = "suspended"
    elif case == "no_account":
        target, message = create_person(session, "Listed Only"), "has not joined PartnerMesh yet"
    elif case == "connected":
        connect(session, ann, bob)
        target, message = bob, "already connected"
    else:
        services.request_introduction(session, bob, ann, settings=SETTINGS)
        target, message = bob, "waiting for an answer"
    with pytest.raises(DomainError, match=message):
        services.request_introduction(session, ann, target, settings=SETTINGS)
    with pytest.raises(DomainError, match=message):
        services.ask_broker(session, ann, target, settings=SETTINGS)


def test_followup_after_n_days_is_sent_once_and_records_answers(session, people):
    ann, bob, _cat, _eve = people
    intro = services.request_introduction(session, ann, bob, settings=SETTINGS)
    services.answer_introduction(session, bob, intro.id, accept=True, settings=SETTINGS)
    assert services.send_followups(session, settings=SETTINGS) == 0  # not due yet
    intro.decided_at = utcnow() - timedelta(days=15)
    session.flush()
    assert followups_due(session, settings=SETTINGS) == [intro]
    assert services.send_followups(session, settings=SETTINGS) == 1
    assert services.send_followups(session, settings=SETTINGS) == 0  # never twice
    assert [m.subject for m in mails_to(session, "ann@example.org")].count("Did you meet Bob Baker?") == 1
    assert [m.subject for m in mails_to(session, "bob@example.org")].count("Did you meet Ann Able?") == 1
    assert [v.introduction.id for v in services.my_introductions(session, ann, settings=SETTINGS).followups] == [
        intro.id]
    services.answer_followup(session, ann, intro.id, met=True, partnership=True)
    assert intro.met_at is not None and intro.partnership_at is not None
    assert services.my_introductions(session, ann, settings=SETTINGS).followups == []
    assert len(services.my_introductions(session, bob, settings=SETTINGS).followups) == 1
    services.answer_followup(session, bob, intro.id, met=False, partnership=False)
    assert intro.partnership_at is not None  # one "yes" is enough


def test_broker_proposal_needs_admin_and_note(session, people):
    ann, bob, cat, eve = people
    with pytest.raises(PermissionDenied):
        services.propose_introduction(session, cat.id, ann.id, bob.id, "Meet!", settings=SETTINGS)
    with pytest.raises(DomainError, match="personal note"):
        services.propose_introduction(session, eve.id, ann.id, bob.id, "  ", settings=SETTINGS)
    intro = services.propose_introduction(session, eve.id, ann.id, bob.id, "Meet about EDI.", score=0.8,
                                          reasons=["You look for EDI"], settings=SETTINGS)
    assert intro.brokered and intro.requester_id is None and intro.a_answer is None and intro.b_answer is None
    assert [m.subject for m in mails_to(session, "bob@example.org")] == ["Eve Admin suggests you meet Ann Able"]
    with pytest.raises(DomainError, match="already have an introduction waiting"):
        services.propose_introduction(session, eve.id, bob.id, ann.id, "Again", settings=SETTINGS)


def test_broker_request_queue(session, people):
    ann, bob, cat, eve = people
    request = services.ask_broker(session, ann, bob, "Could you introduce us?", settings=SETTINGS)
    with pytest.raises(DomainError, match="already asked"):
        services.ask_broker(session, ann, bob, settings=SETTINGS)
    with pytest.raises(DomainError, match="already asked"):
        services.request_introduction(session, ann, bob, settings=SETTINGS)
    rows = services.list_broker_requests(session)
    assert [(r.requester.name, r.target.name, r.mutual_connections) for r in rows] == [("Ann Able", "Bob Baker", 0)]
    intro = services.propose_from_request(session, eve.id, request.id, "Ann asked to meet you.", settings=SETTINGS)
    assert intro.requester_id == ann.id and intro.a_id == ann.id and intro.a_answer == "accepted"
    assert request.status == "proposed" and services.list_broker_requests(session) == []
    services.answer_introduction(session, bob, intro.id, accept=True, settings=SETTINGS)
    assert intro.status == ACCEPTED

    second = services.ask_broker(session, ann, cat, settings=SETTINGS)
    services.decline_broker_request(session, eve.id, second.id, "Cat is on leave until May.", settings=SETTINGS)
    assert second.status == "declined"
    assert "Cat is on leave" in mails_to(session, "ann@example.org")[-1].body_text
    with pytest.raises(DomainError, match="already declined"):
        services.propose_from_request(session, eve.id, second.id, "note", settings=SETTINGS)


def test_pipeline_counts_and_outcomes(session, people):
    ann, bob, cat, eve = people
    assert services.record_suggestions(session, eve.id, [(bob.id, ann.id, 0.9), (ann.id, bob.id, 0.9),
                                                         (ann.id, cat.id, 0.5), (cat.id, cat.id, 1.0)]) == 2
    first = services.propose_introduction(session, eve.id, ann.id, bob.id, "Meet!", settings=SETTINGS)
    services.propose_introduction(session, eve.id, ann.id, cat.id, "Meet too!", settings=SETTINGS)
    for person in (ann, bob):
        services.answer_introduction(session, person, first.id, accept=True, settings=SETTINGS)
    services.answer_followup(session, bob, first.id, met=True, partnership=False)
    assert services.pipeline_counts(session) == {"suggested": 2, "proposed": 2, "accepted": 1, "met": 1,
                                                 "partnership": 0}
    assert services.pipeline_counts(session, person_ids=[cat.id]) == {
        "suggested": 1, "proposed": 1, "accepted": 0, "met": 0, "partnership": 0}
    assert services.pipeline_counts(session, brokered=False)["proposed"] == 0
    assert services.pipeline_counts(session, since=utcnow() + timedelta(days=1))["proposed"] == 0
    outcomes = services.introduction_outcomes(session)
    assert [(o.status, o.brokered, o.decided_at is not None) for o in outcomes] == [
        (ACCEPTED, True, True), (PENDING, True, False)]


def test_people_who_have_not_joined_only_through_the_admins(session, people):
    ann, _bob, _cat, eve = people
    listed = create_person(session, "Lee Listed", email="lee@example.org")
    no_address = create_person(session, "Nia Nomail")
    with pytest.raises(DomainError, match="ask an ecosystem admin"):
        services.request_introduction(session, ann, listed, settings=SETTINGS)
    assert services.introduction_blocker(session, ann, listed) is not None
    assert services.introduction_blocker(session, ann, listed, via_broker=True) is None
    with pytest.raises(DomainError, match="no email address"):
        services.ask_broker(session, ann, no_address, settings=SETTINGS)
    request = services.ask_broker(session, ann, listed, settings=SETTINGS)
    intro = services.propose_from_request(session, eve.id, request.id, "Lee runs the Hamburg warehouse.",
                                          settings=SETTINGS)
    [mail] = mails_to(session, "lee@example.org")
    assert "sign up with this email address" in mail.body_text and "Hamburg warehouse" in mail.body_text
    assert intro.status == PENDING
