"""Feed services without HTTP: following, recording, visibility, keyset pagination, and the
activities that forum, introduction, connection and partnership events become."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.feeds import services
from portal.feeds.cursor import encode_cursor
from portal.feeds.models import Activity
from portal.forums import activity as forum_activity
from portal.forums import moderation
from portal.forums import services as forums
from portal.profiles.visibility import Viewer
from tests.test_companies_support import make_company, make_user
from tests.test_feeds_support import status, titles
from tests.test_forums_support import make_thread, viewer_of


@pytest.fixture
def people(session):
    _, dana = make_user(session, name="Dana Reyes")
    _, lee = make_user(session, name="Lee Chen")
    _, sam = make_user(session, name="Sam Okafor")
    _, ada = make_user(session, role="ecosystem_admin", name="Ada Admin")
    return {"dana": dana, "lee": lee, "sam": sam, "ada": ada}


def test_follow_and_unfollow_are_idempotent(session, people):
    dana, lee = people["dana"], people["lee"]
    assert services.follow(session, dana, "person", lee.id, viewer=viewer_of(dana)) is True
    assert services.follow(session, dana, "person", lee.id, viewer=viewer_of(dana)) is False
    assert services.is_following(session, dana.id, "person", lee.id)
    assert services.followers_of(session, "person", lee.id) == [dana.id]
    assert services.unfollow(session, dana, "person", lee.id) is True
    assert services.unfollow(session, dana, "person", lee.id) is False
    assert services.followers_of(session, "person", lee.id) == []


def test_follow_refuses_unknown_kinds_missing_targets_and_oneself(session, people):
    dana = people["dana"]
    with pytest.raises(DomainError):
        services.follow(session, dana, "planet", 1, viewer=viewer_of(dana))
    with pytest.raises(NotFound):
        services.follow(session, dana, "company", 999_999, viewer=viewer_of(dana))
    with pytest.raises(DomainError):
        services.follow(session, dana, "person", dana.id, viewer=viewer_of(dana))


def test_a_private_groups_thread_cannot_be_followed_from_outside(session, people):
    group = forums.create_group(session, "SAP alliance", people["dana"].id)
    thread = make_thread(session, forums.group_category(session, group), people["dana"])
    with pytest.raises(NotFound):
        services.follow(session, people["lee"], "thread", thread.id, viewer=viewer_of(people["lee"]))
    assert services.follow(session, people["dana"], "thread", thread.id, viewer=viewer_of(people["dana"]))


def test_record_activity_checks_its_fields(session, people):
    with pytest.raises(DomainError):
        services.record_activity(session, verb="", title="x", url="", targets=[])
    with pytest.raises(DomainError):
        services.record_activity(session, verb="status", title="x", url="javascript:alert(1)", targets=[])
    with pytest.raises(DomainError):
        services.record_activity(session, verb="status", title="x", url="", targets=[("planet", 1)])
    activity = services.record_activity(session, verb="status", title="x", url="https://erp.example/v3",
                                        targets=[("person", people["lee"].id)])
    assert activity.verb_family == "status"


def test_personal_feed_shows_what_one_follows_newest_first(session, people):
    dana, lee, sam = people["dana"], people["lee"], people["sam"]
    acme = make_company(session, lee, name="Acme")
    services.follow(session, dana, "company", acme.id, viewer=viewer_of(dana))
    status(session, acme.id, "Price list v2", minutes_ago=10)
    status(session, acme.id, "Price list v3", minutes_ago=1)
    other = make_company(session, sam, name="Other Co")
    status(session, other.id, "Not followed")
    page = services.personal_feed(session, viewer_of(dana))
    assert titles(page) == ["Price list v3", "Price list v2"]
    assert page.next_cursor is None


def test_private_group_activity_reaches_only_group_members(session, people):
    dana, lee, ada = people["dana"], people["lee"], people["ada"]
    group = forums.create_group(session, "SAP alliance", dana.id)
    forums.set_group_member(session, group, lee.id, "member")
    thread = make_thread(session, forums.group_category(session, group), dana, title="Secret roadmap")
    session.commit()  # the after-commit handler turns the new thread into an activity
    for who in (lee, ada):
        services.follow(session, who, "person", dana.id)
    _, outsider = make_user(session, name="Out Sider")
    services.follow(session, outsider, "person", dana.id)
    activity = session.query(Activity).filter_by(source_key=f"post:{forums.opening_post(session, thread).id}").one()
    assert activity.group_id == group.id
    assert services.visible_to(session, viewer_of(lee), activity)
    assert services.visible_to(session, viewer_of(ada, admin=True), activity)
    assert not services.visible_to(session, viewer_of(outsider), activity)
    assert not services.visible_to(session, Viewer.anonymous(), activity)
    assert any("Secret roadmap" in t for t in titles(services.personal_feed(session, viewer_of(lee))))
    assert titles(services.personal_feed(session, viewer_of(outsider))) == []
    # Leaving the group takes the activity out of their feed too.
    forums.set_group_member(session, group, lee.id, None)
    assert titles(services.personal_feed(session, viewer_of(lee))) == []


def test_keyset_pages_are_stable_while_new_activities_arrive(session, people):
    dana, lee = people["dana"], people["lee"]
    acme = make_company(session, lee, name="Acme")
    services.follow(session, dana, "company", acme.id)
    same_time = utcnow() - timedelta(hours=1)
    for n in range(7):  # several share one timestamp: the id breaks the tie
        services.record_activity(session, verb="status", title=f"old {n}", url="", targets=[],
                                 company_id=acme.id, created_at=same_time)
    first = services.personal_feed(session, viewer_of(dana), limit=3)
    assert titles(first) == ["old 6", "old 5", "old 4"]
    status(session, acme.id, "brand new")
    second = services.personal_feed(session, viewer_of(dana), limit=3, cursor=first.next_cursor)
    assert titles(second) == ["old 3", "old 2", "old 1"]
    third = services.personal_feed(session, viewer_of(dana), limit=3, cursor=second.next_cursor)
    assert titles(third) == ["old 0"] and third.next_cursor is None
    assert titles(services.personal_feed(session, viewer_of(dana), limit=1)) == ["brand new"]


# Fixed values: pytest-xdist workers must collect the same test ids.
_TRUNCATED_CURSOR = encode_cursor(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), 1)[:-2] + "@@"


@pytest.mark.parametrize("token", ["garbage!", "MTIz", "x" * 200, _TRUNCATED_CURSOR])
def test_a_bad_cursor_is_a_domain_error(session, people, token):
    with pytest.raises(DomainError):
        services.personal_feed(session, viewer_of(people["dana"]), cursor=token)


def test_filters_keep_only_the_chosen_families(session, people):
    dana, lee = people["dana"], people["lee"]
    acme = make_company(session, lee, name="Acme")
    services.follow(session, dana, "company", acme.id)
    status(session, acme.id, "status item")
    services.record_activity(session, verb="document.version", title="doc item", url="", targets=[],
                             company_id=acme.id)
    assert titles(services.personal_feed(session, viewer_of(dana), verbs=["documents"])) == ["doc item"]
    assert titles(services.company_feed(session, viewer_of(dana), acme.id, verbs=["status"])) == ["status item"]
    with pytest.raises(DomainError):
        services.personal_feed(session, viewer_of(dana), verbs=["nonsense"])


def test_forum_events_become_activities_for_followers_of_thread_and_tags(session, people):
    dana, lee, sam = people["dana"], people["lee"], people["sam"]
    category = forums.create_category(session, "General")
    thread = make_thread(session, category, dana, title="S/4HANA migrations", tags="sap, migration")
    session.commit()
    services.follow(session, lee, "thread", thread.id)
    tag_id = next(t.id for t in forums.thread_tags(session, [thread.id])[thread.id] if t.key == "sap")
    services.follow(session, sam, "tag", tag_id)
    reply = forums.reply(session, thread, sam.id, "We did three of them last year.")
    session.commit()
    lee_feed = titles(services.personal_feed(session, viewer_of(lee)))
    assert lee_feed[0] == "Sam Okafor replied to “S/4HANA migrations”"
    assert "Dana Reyes started “S/4HANA migrations” in General" in titles(
        services.personal_feed(session, viewer_of(sam)))
    forum_activity.set_accepted_answer(session, thread, reply, viewer_of(dana))
    session.commit()
    assert titles(services.personal_feed(session, viewer_of(lee)))[0].startswith("Sam Okafor’s answer was accepted")
    # A public category's activity is visible to visitors; a hidden post's activity to nobody.
    activity = session.query(Activity).filter_by(source_key=f"post:{reply.id}").one()
    assert services.visible_to(session, Viewer.anonymous(), activity)
    moderation.hide_post(session, reply, viewer_of(people["ada"], admin=True), "spam")
    session.commit()
    session.refresh(activity)
    assert not services.visible_to(session, viewer_of(lee), activity)
    assert "Sam Okafor replied to “S/4HANA migrations”" not in titles(services.personal_feed(session, viewer_of(lee)))


def test_a_new_connection_is_shown_only_to_the_two_people(session, people):
    from portal.profiles.services import connect

    dana, lee, sam = people["dana"], people["lee"], people["sam"]
    services.follow(session, sam, "person", dana.id)
    connect(session, dana, lee)
    session.commit()
    assert titles(services.personal_feed(session, viewer_of(dana))) == ["Dana Reyes and Lee Chen are now connected"]
    assert titles(services.personal_feed(session, viewer_of(lee))) == ["Dana Reyes and Lee Chen are now connected"]
    assert titles(services.personal_feed(session, viewer_of(sam))) == []


def test_a_thread_moved_into_a_private_group_takes_its_activities_along(session, people):
    dana, lee, ada = people["dana"], people["lee"], people["ada"]
    general = forums.create_category(session, "General")
    thread = make_thread(session, general, dana, title="Pricing questions")
    session.commit()
    services.follow(session, lee, "thread", thread.id)
    assert titles(services.personal_feed(session, viewer_of(lee))) == [
        "Dana Reyes started “Pricing questions” in General"]
    group = forums.create_group(session, "Board", ada.id)
    moderation.move_thread(session, thread, forums.group_category(session, group), viewer_of(ada, admin=True))
    session.commit()
    assert titles(services.personal_feed(session, viewer_of(lee))) == []  # lee is not in the group
    forums.set_group_member(session, group, lee.id, "member")
    assert len(titles(services.personal_feed(session, viewer_of(lee)))) == 1


def test_a_partnership_shows_in_both_company_feeds(session, people):
    from portal.partnerships import services as partnerships

    dana, lee = people["dana"], people["lee"]
    acme = make_company(session, dana, name="Acme")
    globex = make_company(session, lee, name="Globex")
    partnership = partnerships.propose(session, dana, globex.id, "integration")
    partnerships.answer(session, lee, partnership.id, True)
    session.commit()
    reader = viewer_of(people["sam"])
    assert titles(services.company_feed(session, reader, acme.id)) == ["Started an integration partnership with Globex"]
    assert titles(services.company_feed(session, reader, globex.id)) == ["Started an integration partnership with Acme"]
    assert titles(services.company_feed(session, reader, globex.id, verbs=["forum"])) == []


def test_an_accepted_introduction_is_one_private_activity_and_recorded_once(app, session, people):
    from portal.feeds.activities import handle_events

    dana, lee = people["dana"], people["lee"]
    batch = [{"event": "introduction.changed", "introduction_id": 41, "status": "accepted",
              "person_ids": [lee.id, dana.id]},
             {"event": "connection.created", "person_ids": [dana.id, lee.id]}]
    with app.app_context():
        recorded = handle_events(session, batch)
        again = handle_events(session, batch)  # the same events once more (a re-run import)
    assert [a.verb for a in recorded] == ["introduction.accepted"] and again == []
    assert recorded[0].url == "/introductions/41" and recorded[0].audience == sorted([dana.id, lee.id])
    assert titles(services.personal_feed(session, viewer_of(dana))) == [
        "Dana Reyes and Lee Chen accepted an introduction and are now connected"]
    assert not services.visible_to(session, viewer_of(people["ada"], admin=True), recorded[0])
