"""Who hears what: private-group activity, notification counts (live log and open streams)."""

from __future__ import annotations

import pytest

from portal.db import db
from portal.feeds.services import follow
from portal.forums import services as forums
from portal.forums.models import GROUP_ROLE_MEMBER, Category
from portal.messages import services as messages
from portal.notifications.services import mark_read, notify
from portal.profiles.models import Person
from portal.realtime import log as live_log
from portal.realtime.audiences import person_channel, thread_channel
from tests.test_companies_support import login, make_user
from tests.test_forums_support import make_thread


@pytest.fixture
def forum(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.05)
    with app.app_context():
        s = db.session
        dana_user, dana = make_user(s, name="Dana Reyes")
        lee_user, lee = make_user(s, name="Lee Chen")
        _, mo = make_user(s, name="Mo Member")
        public = forums.create_category(s, "General")
        group = forums.create_group(s, "SAP alliance", dana.id)
        forums.set_group_member(s, group, mo.id, GROUP_ROLE_MEMBER)
        secret = make_thread(s, forums.group_category(s, group), dana, title="Secret pricing", body="Margin 40%")
        open_thread = make_thread(s, public, dana)
        db.commit()
        return {"dana": dana_user, "dana_id": dana.id, "lee": lee_user, "lee_id": lee.id, "mo_id": mo.id,
                "group": group.id, "secret": secret.id, "public": open_thread.id}


def _events(session, person_id: int, event: str) -> list[live_log.LiveRecord]:
    return [r for r in live_log.read_after(session, 0, channels=[person_channel(person_id)]) if r.event == event]


def test_private_group_activity_never_reaches_a_non_members_stream(client, forum, session):
    """Lee follows Dana; Dana writes in her private group (Lee hears nothing), then in public."""
    dana, lee = session.get(Person, forum["dana_id"]), session.get(Person, forum["lee_id"])
    follow(session, lee, "person", dana.id)
    session.commit()
    login(client, forum["lee"])
    response = client.get("/live/stream", buffered=False)
    chunks = iter(response.response)
    next(chunks)
    forums.reply(session, session.get(forums.Thread, forum["secret"]), dana.id, "Margin is now 45%")
    session.commit()
    assert next(chunks) == b": keep-alive\n\n"
    assert _events(session, lee.id, "feed") == []
    assert live_log.read_after(session, 0, channels=[thread_channel(forum["secret"])])  # the thread's page hears it
    reply = forums.reply(session, session.get(forums.Thread, forum["public"]), dana.id, "Anyone for EDI?")
    session.commit()
    assert "event: feed" in next(chunks).decode()
    assert len(_events(session, lee.id, "feed")) == 1
    response.close()
    assert reply.id


def test_group_members_following_the_author_hear_of_group_posts(session, forum):
    dana, mo = session.get(Person, forum["dana_id"]), session.get(Person, forum["mo_id"])
    follow(session, mo, "person", dana.id)
    session.commit()
    forums.reply(session, session.get(forums.Thread, forum["secret"]), dana.id, "Members only news")
    session.commit()
    assert len(_events(session, mo.id, "feed")) == 1


def test_notification_counts_reach_their_person_only(session, forum):
    notify(session, person_ids=[forum["lee_id"]], kind="mention", title="Dana mentioned you", url="/forums/",
           actor_person_id=forum["dana_id"])
    notify(session, person_ids=[forum["lee_id"]], kind="reply", title="Dana replied", url="/forums/",
           actor_person_id=forum["dana_id"])
    session.commit()
    assert [r.data for r in _events(session, forum["lee_id"], "notifications")] == [{"unread": 2}]
    assert _events(session, forum["dana_id"], "notifications") == []
    mark_read(session, session.get(Person, forum["lee_id"]), "all")
    session.commit()
    assert _events(session, forum["lee_id"], "notifications")[-1].data == {"unread": 0}


def test_a_message_reaches_its_recipients_with_their_unread_count(session, forum):
    dana, lee = session.get(Person, forum["dana_id"]), session.get(Person, forum["lee_id"])
    message = messages.start_conversation(session, dana, [lee], "Coffee next week?")
    session.commit()
    (to_lee,) = _events(session, lee.id, "messages")
    assert to_lee.data == {"conversation_id": message.conversation_id, "message_id": message.id, "unread": 1}
    assert _events(session, dana.id, "messages")[-1].data["unread"] == 0  # the author's other tabs
    assert _events(session, forum["mo_id"], "messages") == []
    messages.mark_read(session, lee, message.conversation_id)
    session.commit()
    assert _events(session, lee.id, "messages")[-1].data == {"unread": 0}


def test_one_commit_of_many_activities_reaches_each_follower_it_may_reach(session, forum):
    """A commit with several activities (as an import or the demo makes) is sorted out per follower:
    the tag's and the author's followers hear of the public thread; only the group member of the
    private one; nobody of their own posts."""
    dana, lee, mo = (session.get(Person, forum[key]) for key in ("dana_id", "lee_id", "mo_id"))
    follow(session, lee, "person", dana.id)
    follow(session, mo, "person", dana.id)
    session.commit()
    general = session.get(Category, session.get(forums.Thread, forum["public"]).category_id)
    tagged = make_thread(session, general, lee, title="EDI mapping", tags=["edi"])
    tag_id = forums.thread_tags(session, [tagged.id])[tagged.id][0].id
    follow(session, dana, "tag", tag_id)
    session.commit()
    before = live_log.newest_id(session)
    forums.reply(session, session.get(forums.Thread, forum["public"]), dana.id, "Public news")
    forums.reply(session, session.get(forums.Thread, forum["secret"]), dana.id, "Group news")
    forums.reply(session, tagged, mo.id, "We map EDI daily")
    session.commit()

    def heard(person) -> int:
        return len([r for r in _events(session, person.id, "feed") if r.id > before])

    assert heard(lee) == 1  # Dana's public reply; not the group's
    assert heard(mo) == 2  # Dana's replies, the group's too
    assert heard(dana) == 1  # Mo's reply in the thread with the tag she follows
