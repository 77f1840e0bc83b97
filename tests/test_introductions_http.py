"""Introduction pages through the test client: request → accept → private conversation, bad
input as form errors, login required, nothing hidden leaks, rate limits and the commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.introductions.models import Introduction
from portal.profiles.services import connect, set_person_tags
from tests.test_companies_support import login, make_user


@pytest.fixture
def people(session):
    ann_user, ann = make_user(session, "ann@example.org", name="Ann Able")
    bob_user, bob = make_user(session, "bob@example.org", name="Bob Baker")
    cat_user, cat = make_user(session, "cat@example.org", name="Cat Cole")
    set_person_tags(session, bob, "need", "Secret Sauce Consulting")
    bob.visibility = {**bob.visibility, "needs": "connections"}  # email is connections-only by default
    session.commit()
    return {"ann": (ann_user, ann), "bob": (bob_user, bob), "cat": (cat_user, cat)}


def _intro(session, ann, bob) -> Introduction:
    session.expire_all()
    return session.scalar(select(Introduction).where(Introduction.a_id == ann.id, Introduction.b_id == bob.id))


@pytest.mark.parametrize("path", ["/introductions/", "/introductions/1", "/introductions/request/1"])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_post_needs_login(client):
    response = client.post("/introductions/1/answer", data={"decision": "accept"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_request_accept_and_private_conversation(client, session, people):
    (ann_user, ann), (bob_user, bob), (cat_user, _cat) = people["ann"], people["bob"], people["cat"]
    login(client, ann_user)
    page = client.get(f"/people/{bob.slug}").get_data(as_text=True)
    assert f"/introductions/request/{bob.id}" in page  # the profile links to the request form
    form = client.get(f"/introductions/request/{bob.id}").get_data(as_text=True)
    assert "no mutual connections" in form and "Secret Sauce" not in form and "bob@example.org" not in form
    response = client.post(f"/introductions/request/{bob.id}",
                           data={"route": "direct", "message": "Let's talk about EDI."})
    assert response.status_code == 302
    intro = _intro(session, ann, bob)
    assert intro.status == "pending"
    # Before Bob accepts, Ann sees neither Bob's email nor his connections-only needs.
    page = client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "waiting for Bob Baker" in page and "bob@example.org" not in page and "Secret Sauce" not in page
    assert "Conversation" not in page

    login(client, bob_user)
    listing = client.get("/introductions/").get_data(as_text=True)
    assert "Waiting for your answer (1)" in listing and "Ann Able" in listing
    page = client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "Let&#39;s talk about EDI." in page and "ann@example.org" not in page
    response = client.post(f"/introductions/{intro.id}/answer", data={"decision": "accept", "reason": ""})
    assert response.status_code == 302
    page = client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "ann@example.org" in page and "Only you and Ann Able can read this conversation" in page
    # The conversation is on the messages pages now; the introduction links to it.
    chat_url = client.get(f"/introductions/{intro.id}/conversation").headers["Location"]
    assert chat_url.startswith("/messages/") and chat_url in page
    response = client.post(chat_url, data={"body": "Hi Ann, Tuesday at 10?"})
    assert response.status_code == 302

    login(client, ann_user)
    page = client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "bob@example.org" in page and "Secret Sauce" in page and "1 unread" in page
    chat = client.get(chat_url).get_data(as_text=True)
    assert "Hi Ann, Tuesday at 10?" in chat and "Only you and Bob Baker can read this conversation" in chat

    login(client, cat_user)
    assert client.get(f"/introductions/{intro.id}").status_code == 404
    assert client.get(f"/introductions/{intro.id}/conversation").status_code == 404
    assert client.get(chat_url).status_code == 404
    assert client.post(chat_url, data={"body": "me too"}).status_code == 404
    assert client.post(f"/introductions/{intro.id}/answer", data={"decision": "decline"}).status_code == 404
    assert "Tuesday" not in client.get("/introductions/").get_data(as_text=True)


def test_decline_shows_neutral_reason_to_requester(client, session, people):
    (ann_user, ann), (bob_user, bob) = people["ann"], people["bob"]
    login(client, ann_user)
    client.post(f"/introductions/request/{bob.id}", data={"route": "direct", "message": ""})
    intro = _intro(session, ann, bob)
    login(client, bob_user)
    assert client.post(f"/introductions/{intro.id}/answer",
                       data={"decision": "decline", "reason": "timing"}).status_code == 302
    login(client, ann_user)
    page = client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "This introduction was declined: not the right time." in page
    again = client.post(f"/introductions/request/{bob.id}", data={"route": "direct"})
    assert again.status_code == 400 and "was declined" in again.get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"route": "sideways"}, "Not a valid choice"),
    ({"route": "direct", "message": "x" * 2001}, "2000"),
])
def test_bad_request_input_is_a_form_error(client, people, data, message):
    login(client, people["ann"][0])
    response = client.post(f"/introductions/request/{people['bob'][1].id}", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_requests_that_cannot_be_made_say_why(client, session, people):
    (ann_user, ann), (_bob_user, bob), (cat_user, cat) = people["ann"], people["bob"], people["cat"]
    cat_user.suspended_at = utcnow()
    connect(session, ann, bob)
    session.commit()
    login(client, ann_user)
    for target, message in ((ann, "yourself"), (bob, "already connected"), (cat, "suspended")):
        page = client.get(f"/introductions/request/{target.id}").get_data(as_text=True)
        assert message in page and "Send the request" not in page
        response = client.post(f"/introductions/request/{target.id}", data={"route": "direct"})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert client.get("/introductions/request/999999").status_code == 404
    assert client.get("/introductions/999999").status_code == 404


def test_bad_answer_and_message_input(client, session, people):
    (ann_user, ann), (bob_user, bob) = people["ann"], people["bob"]
    login(client, ann_user)
    client.post(f"/introductions/request/{bob.id}", data={"route": "direct"})
    intro = _intro(session, ann, bob)
    response = client.get(f"/introductions/{intro.id}/conversation", follow_redirects=True)
    assert response.request.path == f"/introductions/{intro.id}"
    assert "opens once both" in response.get_data(as_text=True)
    login(client, bob_user)
    response = client.post(f"/introductions/{intro.id}/answer", data={"decision": "maybe"})
    assert response.status_code == 400 and "Please choose Accept or Decline" in response.get_data(as_text=True)
    response = client.post(f"/introductions/{intro.id}/answer", data={"decision": "decline", "reason": "rude"})
    assert response.status_code == 400
    client.post(f"/introductions/{intro.id}/answer", data={"decision": "accept"})
    chat_url = client.get(f"/introductions/{intro.id}/conversation").headers["Location"]
    response = client.post(chat_url, data={"body": "   "})
    assert response.status_code == 400 and "Please write a message" in response.get_data(as_text=True)
    response = client.post(f"/introductions/{intro.id}/followup", data={"met": "perhaps"})
    assert response.status_code == 400


def test_broker_route_and_withdraw(client, session, people):
    ann_user, bob = people["ann"][0], people["bob"][1]
    login(client, ann_user)
    form = client.get(f"/introductions/request/{bob.id}").get_data(as_text=True)
    # No mutual connection: the form suggests asking the admins.
    assert '<input checked id="route-1" name="route" required type="radio" value="broker">' in form
    response = client.post(f"/introductions/request/{bob.id}", data={"route": "broker", "message": "Please?"})
    assert response.status_code == 302
    listing = client.get("/introductions/").get_data(as_text=True)
    assert "Asked the ecosystem admins (1)" in listing
    from portal.introductions.services import list_broker_requests
    request_id = list_broker_requests(session)[0].request.id
    assert client.post(f"/introductions/broker-requests/{request_id}/withdraw").status_code == 302
    assert list_broker_requests(session) == []


def test_withdraw_direct_request(client, session, people):
    (ann_user, ann), (_bob_user, bob) = people["ann"], people["bob"]
    login(client, ann_user)
    client.post(f"/introductions/request/{bob.id}", data={"route": "direct"})
    intro = _intro(session, ann, bob)
    assert client.post(f"/introductions/{intro.id}/withdraw").status_code == 302
    assert _intro(session, ann, bob).status == "withdrawn"
    assert "withdrawn" in client.get("/introductions/").get_data(as_text=True)


def test_request_endpoint_is_rate_limited(client, session, people, monkeypatch):
    monkeypatch.setitem(client.application.config, "RATELIMIT_INTRODUCTIONS", "2/minute")
    login(client, people["ann"][0])
    targets = [make_user(session, name=f"Target {n}")[1] for n in range(3)]
    session.commit()
    codes = [client.post(f"/introductions/request/{t.id}", data={"route": "direct"}).status_code for t in targets]
    assert codes == [302, 302, 429]


def test_expired_shows_as_expired_and_commands(client, session, people, runner):
    (ann_user, ann), (_bob_user, bob) = people["ann"], people["bob"]
    login(client, ann_user)
    client.post(f"/introductions/request/{bob.id}", data={"route": "direct"})
    intro = _intro(session, ann, bob)
    intro.expires_at = utcnow() - timedelta(hours=1)
    session.commit()
    assert "expired" in client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert _intro(session, ann, bob).status == "expired"  # the page read stored it
    assert "Expired 0 introduction(s)." in runner.invoke(args=["introductions", "expire"]).output

    _, dan = make_user(session, name="Dan Drew")
    session.commit()
    client.post(f"/introductions/request/{dan.id}", data={"route": "direct"})
    second = session.scalar(select(Introduction).where(Introduction.b_id == dan.id))
    second.status, second.decided_at = "accepted", utcnow() - timedelta(days=20)
    session.commit()
    first = runner.invoke(args=["introductions", "followup"])
    assert "Sent follow-ups for 1 introduction(s)" in first.output
    assert "Sent follow-ups for 0 introduction(s)" in runner.invoke(args=["introductions", "followup"]).output
    assert "Did you meet?" in client.get("/introductions/").get_data(as_text=True)
    response = client.post(f"/introductions/{second.id}/followup", data={"met": "yes", "partnership": "no"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Introduction, second.id).met_at is not None


def test_listed_person_offers_only_the_admin_route(client, session, people):
    from portal.profiles.services import create_person

    listed = create_person(session, "Lee Listed", email="lee@example.org")
    session.commit()
    login(client, people["ann"][0])
    form = client.get(f"/introductions/request/{listed.id}").get_data(as_text=True)
    assert "has not joined PartnerMesh yet" in form and 'value="direct"' not in form and 'value="broker"' in form
    response = client.post(f"/introductions/request/{listed.id}", data={"route": "direct"})
    assert response.status_code == 400
    assert client.post(f"/introductions/request/{listed.id}", data={"route": "broker"}).status_code == 302


def test_admin_sees_broker_view_without_the_conversation(client, session, people):
    from portal.introductions import services

    (ann_user, ann), bob = people["ann"], people["bob"][1]
    admin_user, admin = make_user(session, "eve@example.org", name="Eve Admin", role="ecosystem_admin")
    intro = services.propose_introduction(session, admin.id, ann.id, bob.id, "Meet about EDI.", score=0.75,
                                          reasons=["Both active in #edi"])
    for person in (ann, bob):
        services.answer_introduction(session, person, intro.id, accept=True)
    from portal.introductions.conversation import conversation_for, post_message
    post_message(session, ann, intro.id, "Private hello")
    session.commit()
    login(client, admin_user)
    page = client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert "Both active in #edi" in page and "0.750" in page and "Private hello" not in page
    chat_url = f"/messages/{conversation_for(session, ann, intro.id).id}"
    assert client.get(chat_url).status_code == 404  # the conversation itself is not the broker's either
    login(client, ann_user)
    page = client.get(f"/introductions/{intro.id}").get_data(as_text=True)
    assert chat_url in page and "Both active in #edi" not in page  # engine reasons are the broker's
    assert "Private hello" in client.get(chat_url).get_data(as_text=True)
    assert client.get("/introductions/999999").status_code == 404
