"""Message pages through the test client: write from a profile, inbox and unread badge, groups,
blocks, reports and the admins' queue, bad input as 400 form errors, CSRF, the rate limit's 429."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.messages import services as messages
from portal.messages.models import Conversation, MessageReport
from tests.test_companies_support import login, make_user


@pytest.fixture
def people(session):
    found = {name: make_user(session, f"{name}@example.org", name=f"{name.title()} Member")
             for name in ("ann", "bob", "cat")}
    found["eve"] = make_user(session, "eve@example.org", name="Eve Admin", role="ecosystem_admin")
    session.commit()
    return found


def _badge(page: str) -> str:
    """The nav's unread count, or "hidden"."""
    match = re.search(r'id="nav-messages-count"\s*(hidden)?>(\d+)<', page)
    return match.group(1) or match.group(2)


@pytest.mark.parametrize("path", ["/messages/", "/messages/new", "/messages/1", "/messages/blocked",
                                  "/messages/reports", "/messages/m/1/report"])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_write_from_profile_and_read_in_inbox(client, session, people):
    ann_user, (bob_user, bob) = people["ann"][0], people["bob"]
    login(client, ann_user)
    profile = client.get(f"/people/{bob.slug}").get_data(as_text=True)
    assert f"/messages/new?to={bob.slug}" in profile
    form = client.get(f"/messages/new?to={bob.slug}").get_data(as_text=True)
    assert f'value="{bob.slug}"' in form
    response = client.post("/messages/new", data={"to": bob.slug, "body": "Hi Bob, *EDI* next week?"})
    assert response.status_code == 302
    chat_url = response.headers["Location"].split("#")[0]

    login(client, bob_user)
    home = client.get("/messages/").get_data(as_text=True)
    assert "Ann Member" in home and "1 unread" in home and _badge(home) == "1"
    chat = client.get(chat_url).get_data(as_text=True)
    assert "<em>EDI</em>" in chat and "Only you and Ann Member can read this conversation" in chat
    assert _badge(client.get("/messages/").get_data(as_text=True)) == "hidden"  # read now
    assert client.post(chat_url, data={"body": "Yes, <script>alert(1)</script> Tuesday"}).status_code == 302

    login(client, ann_user)
    chat = client.get(chat_url).get_data(as_text=True)
    assert "Tuesday" in chat and "<script>alert(1)" not in chat

    login(client, people["cat"][0])
    assert client.get(chat_url).status_code == 404
    assert client.post(chat_url, data={"body": "me too"}).status_code == 404


def test_bad_input_is_a_400_form_error(client, session, people):
    (ann_user, ann), bob = people["ann"], people["bob"][1]
    login(client, ann_user)
    for data, error in (({"to": "", "body": "Hi"}, "Please name at least one member"),
                        ({"to": bob.slug, "body": "  "}, "Please write a message"),
                        ({"to": "nobody-here", "body": "Hi"}, "Nobody has the profile address"),
                        ({"to": ann.slug, "body": "Hi"}, "other than yourself"),
                        ({"to": bob.slug, "body": "x" * 5001}, "5000")):
        response = client.post("/messages/new", data=data)
        assert response.status_code == 400 and error in response.get_data(as_text=True), data
    message = messages.start_conversation(session, ann, [bob], "Hello")
    session.commit()
    response = client.post(f"/messages/{message.conversation_id}", data={"body": ""})
    assert response.status_code == 400 and "Please write a message" in response.get_data(as_text=True)
    response = client.post(f"/messages/{message.conversation_id}/people", data={"to": people["cat"][1].slug})
    assert response.status_code == 400 and "group conversations only" in response.get_data(as_text=True)
    assert client.get("/messages/999999").status_code == 404
    assert client.post("/messages/reports/1/dismiss").status_code == 403  # not an admin


def test_group_add_and_leave(client, session, people):
    ann_user, (bob_user, bob), cat = people["ann"][0], people["bob"], people["cat"][1]
    login(client, ann_user)
    response = client.post("/messages/new", data={"to": f"{bob.slug}, {cat.slug}", "title": "Launch team",
                                                  "body": "Welcome!"})
    assert response.status_code == 302
    conversation = session.scalar(select(Conversation).where(Conversation.title == "Launch team"))
    chat_url = f"/messages/{conversation.id}"
    page = client.get(chat_url).get_data(as_text=True)
    assert "Launch team" in page and "Only the 3 people in this conversation can read it" in page

    login(client, bob_user)
    assert client.post(f"{chat_url}/people", data={"to": people["eve"][1].slug}).status_code == 403
    assert client.post(f"{chat_url}/leave").status_code == 302
    assert "Launch team" not in client.get("/messages/").get_data(as_text=True)
    assert client.get(chat_url).status_code == 404

    login(client, ann_user)
    page = client.get(chat_url).get_data(as_text=True)
    assert "Bob Member" in page and "left the conversation" in page


def test_block_from_conversation_and_report_to_admins(client, session, people):
    (ann_user, ann), (bob_user, bob), (eve_user, _eve) = people["ann"], people["bob"], people["eve"]
    rude = messages.start_conversation(session, bob, [ann], "Buy my stuff now")
    session.commit()
    chat_url = f"/messages/{rude.conversation_id}"

    login(client, ann_user)
    report_form = client.get(f"/messages/m/{rude.id}/report").get_data(as_text=True)
    assert "Buy my stuff now" in report_form
    response = client.post(f"/messages/m/{rude.id}/report", data={"reason": ""})
    assert response.status_code == 400 and "Please choose a reason" in response.get_data(as_text=True)
    assert client.post(f"/messages/m/{rude.id}/report", data={"reason": "spam", "note": "again"}).status_code == 302
    assert client.post(f"/messages/block/{bob.id}", data={"next": chat_url}).headers["Location"] == chat_url
    page = client.get(chat_url).get_data(as_text=True)
    assert "You blocked Bob Member" in page and "Send message" not in page
    assert "Bob Member" in client.get("/messages/blocked").get_data(as_text=True)

    login(client, bob_user)
    response = client.post(chat_url, data={"body": "Hello??"})
    assert response.status_code == 400 and "does not accept messages from you" in response.get_data(as_text=True)
    assert f"/messages/new?to={ann.slug}" not in client.get(f"/people/{ann.slug}").get_data(as_text=True)
    assert client.get(f"/messages/m/{rude.id}/report").status_code == 200  # bob can read it, though not report it
    assert client.get("/messages/reports").status_code == 403

    login(client, eve_user)
    queue = client.get("/messages/reports").get_data(as_text=True)
    assert "Buy my stuff now" in queue and "Spam or advertising" in queue and "again" in queue
    assert client.post(f"/messages/reports/{rude.id}/suspend").status_code == 302
    session.expire_all()
    assert session.scalar(select(MessageReport.resolution)) == "suspended"
    assert "No reported messages" in client.get("/messages/reports").get_data(as_text=True)
    assert client.post(f"/messages/reports/{rude.id}/dismiss").status_code == 404


def test_csrf_is_required(client, app, people, monkeypatch):
    login(client, people["ann"][0])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/messages/new", data={"to": people["bob"][1].slug, "body": "Hi"})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    assert client.post(f"/messages/block/{people['bob'][1].id}").status_code == 400


def test_rate_limit_answers_429_with_a_friendly_page(client, session, people, monkeypatch):
    monkeypatch.setitem(client.application.config, "RATELIMIT_MESSAGES", "2/minute")
    ann_user, bob = people["ann"][0], people["bob"][1]
    login(client, ann_user)
    codes = [client.post("/messages/new", data={"to": bob.slug, "body": f"Hi {n}"}).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    page = client.post("/messages/new", data={"to": bob.slug, "body": "Hi again"}).get_data(as_text=True)
    assert "sending messages faster than we allow" in page and "Nothing was sent" in page


def test_daily_cap_is_a_clear_form_error(client, session, people, monkeypatch):
    monkeypatch.setitem(client.application.config, "MESSAGES_NEW_CONVERSATIONS_PER_DAY", "1")
    login(client, people["ann"][0])
    assert client.post("/messages/new", data={"to": people["bob"][1].slug, "body": "Hi"}).status_code == 302
    response = client.post("/messages/new", data={"to": people["cat"][1].slug, "body": "Hi"})
    assert response.status_code == 400 and "started 1 new conversations in the last 24 hours" in \
        response.get_data(as_text=True)


def test_rate_limits_come_from_the_environment_and_a_bad_one_stops_start_up(monkeypatch):
    from flask import Flask

    from portal import messages as messages_feature

    monkeypatch.setenv("RATELIMIT_MESSAGES", "5/minute")
    app = Flask("limits-check")
    messages_feature.init_app(app)
    assert app.config["RATELIMIT_MESSAGES"] == "5/minute" and app.config["RATELIMIT_MESSAGE_ACTIONS"] == "30/minute"
    monkeypatch.setenv("RATELIMIT_MESSAGES", "lots")
    with pytest.raises(SystemExit, match="RATELIMIT_MESSAGES: 'lots' is not a rate limit"):
        messages_feature.init_app(Flask("limits-check"))
