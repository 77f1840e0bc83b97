"""GET /live/stream over HTTP, and what reaches whose stream: resume with Last-Event-ID, reload
when events were pruned, caps, and private-group visibility."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.admin.services import set_members_only
from portal.db import db, utcnow
from portal.forums import services as forums
from portal.realtime import broker_of
from portal.realtime import log as live_log
from portal.realtime.audiences import person_channel
from tests.test_companies_support import login, make_user
from tests.test_forums_support import make_thread


@pytest.fixture
def forum(app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.05)
    with app.app_context():
        s = db.session
        dana_user, dana = make_user(s, name="Dana Reyes")
        lee_user, lee = make_user(s, name="Lee Chen")
        public = forums.create_category(s, "General")
        group = forums.create_group(s, "SAP alliance", dana.id)
        secret = make_thread(s, forums.group_category(s, group), dana, title="Secret pricing", body="Margin 40%")
        open_thread = make_thread(s, public, dana)
        db.commit()
        return {"dana": dana_user, "dana_id": dana.id, "lee": lee_user, "lee_id": lee.id,
                "secret": secret.id, "public": open_thread.id}


def _open(client, url="/live/stream", **headers):
    response = client.get(url, headers=headers, buffered=False)
    return response, iter(response.response)


def _append(session, channel, event="notifications", **data) -> int:
    records = live_log.append(session, [live_log.LiveEntry(channel, event, data)])
    session.commit()
    return records[-1].id


def test_anonymous_visitors_get_401(client, session):
    assert client.get("/live/stream").status_code == 401
    set_members_only(session, True)  # the members-only gate does not redirect a stream to the login page
    session.commit()
    assert client.get("/live/stream").status_code == 401


def test_stream_is_event_stream_starting_with_retry_and_ready(client, forum, app):
    login(client, forum["lee"])
    response, chunks = _open(client)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    first = next(chunks)
    assert first.startswith(b"retry: 3000\nid: ") and b"event: ready" in first
    assert next(chunks) == b": keep-alive\n\n"
    response.close()
    assert broker_of(app).stream_count == 0


def test_reconnect_with_last_event_id_gets_what_it_missed(client, forum, session):
    login(client, forum["lee"])
    lee, dana = person_channel(forum["lee_id"]), person_channel(forum["dana_id"])
    seen = _append(session, lee, unread=1)
    _append(session, lee, unread=2)
    _append(session, dana, unread=9)  # someone else's
    _append(session, lee, "messages", unread=4)
    response, chunks = _open(client, **{"Last-Event-ID": str(seen)})
    first = next(chunks).decode()
    assert f"id: {seen}\nevent: ready" in first
    assert first.index('"unread":2') < first.index('"unread":4')
    assert '"unread":9' not in first and '"unread":1}' not in first
    response.close()


def test_an_id_older_than_the_log_keeps_asks_for_a_reload(client, forum, session):
    login(client, forum["lee"])
    lee = person_channel(forum["lee_id"])
    old = _append(session, lee, unread=1)
    _append(session, lee, unread=2)
    _append(session, lee, unread=3)
    live_log.prune(session, utcnow() + timedelta(minutes=1))  # everything but the newest row
    session.commit()
    response, chunks = _open(client, **{"Last-Event-ID": str(old)})
    first = next(chunks).decode()
    assert "event: reload" in first and '"unread"' not in first
    response.close()


def test_bad_last_event_id_is_a_400(client, forum):
    login(client, forum["lee"])
    assert client.get("/live/stream", headers={"Last-Event-ID": "yesterday"}).status_code == 400
    assert client.get("/live/stream?last_event_id=-5").status_code == 400


def test_private_group_threads_cannot_be_joined_from_outside(client, forum):
    login(client, forum["lee"])
    assert client.get(f"/live/stream?thread={forum['secret']}").status_code == 404
    assert client.get("/live/stream?thread=99999999").status_code == 404
    assert client.get("/live/stream?thread=abc").status_code == 404
    login(client, forum["dana"])
    response, chunks = _open(client, f"/live/stream?thread={forum['secret']}")
    assert response.status_code == 200
    response.close()


def test_too_many_streams_for_one_person(client, forum, app, monkeypatch):
    monkeypatch.setattr(broker_of(app), "max_per_person", 1)
    login(client, forum["lee"])
    response, _chunks = _open(client)
    refused = client.get("/live/stream")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    response.close()
    again, _ = _open(client)
    assert again.status_code == 200
    again.close()


def test_a_full_process_answers_503_with_retry_after(client, forum, app, monkeypatch):
    monkeypatch.setattr(broker_of(app), "max_streams", 0)
    login(client, forum["lee"])
    refused = client.get("/live/stream")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"


def test_a_new_reply_reaches_an_open_thread_stream(client, forum, session):
    login(client, forum["lee"])
    response, chunks = _open(client, f"/live/stream?thread={forum['public']}")
    next(chunks)
    thread = session.get(forums.Thread, forum["public"])
    post = forums.reply(session, thread, forum["dana_id"], "Try the migration cockpit.")
    session.commit()
    chunk = next(chunks).decode()
    assert "event: post" in chunk and f'"post_id":{post.id}' in chunk
    response.close()
