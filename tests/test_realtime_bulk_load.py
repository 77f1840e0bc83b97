"""`before_any_stream()`: a load nobody can be listening to (`portal demo`) writes no live rows;
everything else still does."""

from __future__ import annotations

from portal.feeds.services import follow
from portal.forums import services as forums
from portal.realtime import before_any_stream
from portal.realtime import log as live_log
from portal.realtime.audiences import person_channel
from tests.test_companies_support import make_user
from tests.test_forums_support import make_thread


def _rows(session, channel: str) -> list[live_log.LiveRecord]:
    return live_log.read_after(session, 0, channels=[channel])


def test_commits_inside_write_no_live_rows_and_commits_after_do(session):
    _, dana = make_user(session, name="Dana Reyes")
    _, lee = make_user(session, name="Lee Chen")
    general = forums.create_category(session, "General")
    follow(session, lee, "person", dana.id)
    session.commit()
    with before_any_stream():
        thread = make_thread(session, general, dana)
        session.commit()  # the feed activity is recorded in a follow-up commit: it writes no row either
    assert _rows(session, person_channel(lee.id)) == []
    assert [a.title for a in _feed(session, lee)] == [f"Dana Reyes started “{thread.title}” in General"]
    forums.reply(session, thread, dana.id, "Anyone?")
    session.commit()
    assert [r.event for r in _rows(session, person_channel(lee.id))] == ["feed"]


def _feed(session, person):
    from portal.feeds.services import personal_feed
    from portal.profiles.visibility import Viewer

    return personal_feed(session, Viewer(person_id=person.id, is_member=True)).items
