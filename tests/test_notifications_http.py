"""Notification pages through the test client: the nav badge, the list (open, mark read), the
settings form, CSRF, one-click unsubscribe; and the producers: forum mentions and replies (with
private groups), introduction proposals, the digest command."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from portal.admin.services import set_members_only
from portal.auth.models import User
from portal.db import utcnow
from portal.forums import services as forums
from portal.forums.models import Post
from portal.mail.models import OutboxMessage
from portal.notifications import services
from portal.notifications.models import Notification
from portal.notifications.unsubscribe import make_token
from tests.test_companies_support import login, make_user

NAV_BADGE = re.compile(r'<span class="badge nav-count" id="nav-notifications-count"\s*(hidden)?\s*>(\d+)</span>')


@pytest.fixture
def people(session):
    ann_user, ann = make_user(session, "ann@example.org", name="Ann Able")
    ben_user, ben = make_user(session, "ben@example.org", name="Ben Baker")
    cat_user, cat = make_user(session, "cat@example.org", name="Cat Cole")
    session.commit()
    return {"ann": (ann_user, ann), "ben": (ben_user, ben), "cat": (cat_user, cat)}


def _notifications(session, person) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.person_id == person.id)
                                .order_by(Notification.id)))


def _mails(session, address) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                                .order_by(OutboxMessage.id)))


def _badge(page: str) -> tuple[bool, int]:
    match = NAV_BADGE.search(page)
    assert match, "no notifications badge in the nav"
    return match.group(1) is None, int(match.group(2))


@pytest.mark.parametrize("path", ["/notifications/", "/notifications/settings", "/notifications/1/open"])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_badge_list_open_and_mark_read(client, session, people):
    (_, ann), (ben_user, ben) = people["ann"], people["ben"]
    login(client, ben_user)
    assert _badge(client.get("/notifications/").get_data(as_text=True)) == (False, 0)  # hidden at 0
    first, = services.notify(session, person_ids=[ben.id], kind="reply", title="Ann replied in “EDI”",
                             url="/forums/p/1", actor_person_id=ann.id)
    second, = services.notify(session, person_ids=[ben.id], kind="mention", title="Ann mentioned you in “SAP”",
                              url="/forums/p/2", actor_person_id=ann.id)
    session.commit()
    page = client.get("/notifications/").get_data(as_text=True)
    assert _badge(page) == (True, 2)
    assert page.index("mentioned you in “SAP”") < page.index("replied in “EDI”")  # newest first
    # Following a notification marks it read and leads to its page.
    response = client.get(f"/notifications/{second.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/forums/p/2"
    assert services.unread_count(session, ben.id) == 1
    response = client.post(f"/notifications/{first.id}/read", data={"page": "1"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _badge(page) == (False, 0) and "Nothing unread" in page


def test_mark_all_and_someone_elses_notification(client, session, people):
    (_, ann), (ben_user, ben), (_, cat) = people["ann"], people["ben"], people["cat"]
    services.notify(session, person_ids=[ben.id, cat.id], kind="reply", title="Ann replied", url="/t",
                    actor_person_id=ann.id)
    services.notify(session, person_ids=[ben.id], kind="reply", title="Ann replied again", url="/t")
    session.commit()
    cats, = _notifications(session, cat)
    login(client, ben_user)
    assert client.get(f"/notifications/{cats.id}/open").status_code == 404
    client.post(f"/notifications/{cats.id}/read")
    assert services.unread_count(session, cat.id) == 1
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "Marked 2 notifications as read." in response.get_data(as_text=True)
    assert services.unread_count(session, ben.id) == 0 and services.unread_count(session, cat.id) == 1


def test_unread_filter_and_empty_states(client, session, people):
    ben_user, ben = people["ben"]
    login(client, ben_user)
    assert "No notifications yet" in client.get("/notifications/").get_data(as_text=True)
    made, = services.notify(session, person_ids=[ben.id], kind="reply", title="Old news", url="/t")
    services.mark_read(session, ben, [made.id])
    session.commit()
    page = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "No unread notifications." in page and "Old news" not in page
    assert "Old news" in client.get("/notifications/?page=abc").get_data(as_text=True)


def test_settings_form_saves_and_refuses_bad_choices(client, session, people):
    ben_user, ben = people["ben"]
    login(client, ben_user)
    page = client.get("/notifications/settings").get_data(as_text=True)
    checked = set(re.findall(r'<input checked[^>]*name="(\w+)"[^>]*value="(\w+)"', page))
    assert checked == {("mention", "email"), ("reply", "digest"), ("introduction", "in_app"), ("message", "email"),
                       ("document_version", "digest")}
    data = {"mention": "in_app", "reply": "off", "introduction": "digest", "message": "email",
            "document_version": "digest"}
    response = client.post("/notifications/settings", data=data)
    assert response.status_code == 302
    assert services.preferences(session, ben)["reply"] == "off"
    bad = client.post("/notifications/settings", data={**data, "mention": "carrier-pigeon"})
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    bad = client.post("/notifications/settings", data={**data, "introduction": "email"})
    assert bad.status_code == 400
    missing = client.post("/notifications/settings", data={"mention": "email"})
    assert missing.status_code == 400 and "Please choose how you want to hear about this." in missing.get_data(
        as_text=True)
    assert services.preferences(session, ben)["mention"] == "in_app"  # nothing half-written


def test_csrf_is_required_on_the_logged_in_forms(client, session, people, app, monkeypatch):
    ben_user, ben = people["ben"]
    services.notify(session, person_ids=[ben.id], kind="reply", title="r", url="/t")
    session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(client, ben_user)
    assert client.post("/notifications/read-all").status_code == 400
    assert client.post("/notifications/settings", data={"mention": "off"}).status_code == 400
    assert services.unread_count(session, ben.id) == 1


def test_one_click_unsubscribe_needs_no_login_and_no_csrf(client, session, people, app, monkeypatch):
    _, ben = people["ben"]
    set_members_only(session, True)
    session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    token = make_token("test-secret", ben.id, "mention")
    confirm = client.get(f"/notifications/unsubscribe/{token}")
    assert confirm.status_code == 200 and "Stop mail about" in confirm.get_data(as_text=True)
    assert services.preferences(session, ben)["mention"] == "email"  # a link scanner's GET changes nothing
    # What a mail client sends for List-Unsubscribe-Post (RFC 8058).
    done = client.post(f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert services.preferences(session, ben)["mention"] == "in_app"
    everything = make_token("test-secret", ben.id, "*")
    client.post(f"/notifications/unsubscribe/{everything}")
    assert set(services.preferences(session, ben).values()) <= {"in_app", "off"}


@pytest.mark.parametrize("mangle", [lambda t: t[:-3], lambda t: t.replace(".", ".x", 1), lambda t: "nonsense"])
def test_tampered_unsubscribe_link_is_a_clear_400(client, session, people, mangle):
    _, ben = people["ben"]
    token = mangle(make_token("test-secret", ben.id, "mention"))
    url = f"/notifications/unsubscribe/{token}"
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    assert services.preferences(session, ben)["mention"] == "email"


# --- producers --------------------------------------------------------------------------------

@pytest.fixture
def forum(session, people):
    public = forums.create_category(session, "General")
    group = forums.create_group(session, "SAP alliance", people["ann"][1].id)
    session.commit()
    return {"public": public, "group": group, "group_category": forums.group_category(session, group)}


def _thread_id(response) -> int:
    return int(re.search(r"/forums/t/(\d+)", response.headers["Location"]).group(1))


def test_a_forum_mention_notifies_once_with_a_mail(client, session, people, forum, outbox_dir):
    (ann_user, ann), (ben_user, ben), (_, cat) = people["ann"], people["ben"], people["cat"]
    login(client, ben_user)
    response = client.post(f"/forums/c/{forum['public'].slug}/new",
                           data={"title": "EDI partners in Benelux?", "body": "Anyone doing EDI?"})
    thread_id = _thread_id(response)
    login(client, ann_user)
    client.post(f"/forums/t/{thread_id}/reply", data={"body": f"@{ben.slug} and @{cat.slug}: we do. @{ben.slug}!"})
    bens, cats = _notifications(session, ben), _notifications(session, cat)
    assert [(n.kind, n.title) for n in bens] == [("mention", "Ann Able mentioned you in “EDI partners in Benelux?”")]
    assert [n.kind for n in cats] == ["mention"]  # not also "reply" for the thread author Ben
    assert _notifications(session, ann) == []
    post_id = session.scalar(select(Post.id).where(Post.thread_id == thread_id, Post.number == 2))
    assert bens[0].url == f"/forums/p/{post_id}"
    # Mentions mail right away by default: one mail, with the link and one-click unsubscribe.
    [mail] = _mails(session, ben.email)
    assert mail.sent_at is not None
    parsed = BytesParser(policy=policy.default).parsebytes((outbox_dir / mail.file_name).read_bytes())
    assert parsed["Subject"] == "Ann Able mentioned you in “EDI partners in Benelux?”"
    assert f"/forums/p/{post_id}" in parsed.get_content()
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Editing the post without new mentions tells nobody again.
    client.post(f"/forums/p/{post_id}/edit", data={"body": f"@{ben.slug} and @{cat.slug}: we do, since 2019."})
    assert len(_notifications(session, ben)) == 1 and len(_mails(session, ben.email)) == 1
    # Following the notification reaches the post.
    login(client, ben_user)
    response = client.get(f"/notifications/{bens[0].id}/open")
    assert response.headers["Location"] == f"/forums/p/{post_id}"
    assert client.get(response.headers["Location"], follow_redirects=True).status_code == 200


def test_replies_notify_the_thread_author_and_posters(client, session, people, forum):
    (ann_user, ann), (ben_user, ben), (cat_user, cat) = people["ann"], people["ben"], people["cat"]
    login(client, ann_user)
    thread_id = _thread_id(client.post(f"/forums/c/{forum['public'].slug}/new",
                                       data={"title": "Pricing models", "body": "How do you price?"}))
    login(client, ben_user)
    client.post(f"/forums/t/{thread_id}/reply", data={"body": "Per seat."})
    login(client, cat_user)
    client.post(f"/forums/t/{thread_id}/reply", data={"body": "Per transaction."})
    assert [(n.kind, n.title, n.delivery) for n in _notifications(session, ann)] == [
        ("reply", "Ben Baker replied in “Pricing models”", "digest"),
        ("reply", "Cat Cole replied in “Pricing models”", "digest")]
    assert [n.title for n in _notifications(session, ben)] == ["Cat Cole replied in “Pricing models”"]
    assert _notifications(session, cat) == []
    assert _mails(session, ann.email) == []  # replies wait for the daily digest by default


def test_private_group_posts_never_reach_outsiders(client, session, people, forum):
    (ann_user, ann), (ben_user, ben), (cat_user, cat) = people["ann"], people["ben"], people["cat"]
    _, dan = make_user(session, "dan@example.org", name="Dan Outsider")
    forums.set_group_member(session, forum["group"], ben.id, "member")
    forums.set_group_member(session, forum["group"], cat.id, "member")
    session.commit()
    login(client, ann_user)
    response = client.post(f"/forums/c/{forum['group_category'].slug}/new",
                           data={"title": "Secret pricing plan", "body": f"@{ben.slug} @{dan.slug} margins are 40%"})
    assert response.status_code == 302
    thread_id = _thread_id(response)
    assert [n.kind for n in _notifications(session, ben)] == ["mention"]
    assert _notifications(session, dan) == [] and _mails(session, dan.email) == []
    login(client, cat_user)
    client.post(f"/forums/t/{thread_id}/reply", data={"body": "Agreed."})
    # Cat posted in the thread, then left the group: Ben's reply no longer reaches Cat.
    forums.set_group_member(session, forum["group"], cat.id, None)
    session.commit()
    login(client, ben_user)
    client.post(f"/forums/t/{thread_id}/reply", data={"body": "Me too."})
    assert [n.title for n in _notifications(session, ann)] == ["Cat Cole replied in “Secret pricing plan”",
                                                              "Ben Baker replied in “Secret pricing plan”"]
    assert _notifications(session, cat) == []


def test_suspended_members_get_nothing(client, session, people, forum):
    (ann_user, _), (ben_user, ben) = people["ann"], people["ben"]
    session.get(User, ben_user.id).suspended_at = utcnow()
    session.commit()
    login(client, ann_user)
    client.post(f"/forums/c/{forum['public'].slug}/new", data={"title": "Hello", "body": f"Hi @{ben.slug}"})
    assert _notifications(session, ben) == [] and _mails(session, ben.email) == []


def test_an_introduction_request_notifies_the_person_asked(client, session, people):
    (ann_user, ann), (_, ben) = people["ann"], people["ben"]
    login(client, ann_user)
    response = client.post(f"/introductions/request/{ben.id}", data={"route": "direct", "message": "Hello!"})
    assert response.status_code == 302
    [notice] = _notifications(session, ben)
    assert (notice.kind, notice.title, notice.actor_person_id) == (
        "introduction", "Ann Able would like to be introduced to you", ann.id)
    assert notice.url.startswith("/introductions/") and _notifications(session, ann) == []
    # The introductions feature mails the proposal itself; the notification adds no second mail.
    assert len(_mails(session, ben.email)) == 1


def test_digest_command_mails_once(runner, session, people, forum):
    _, ann = people["ann"]
    for n in range(2):
        services.notify(session, person_ids=[ann.id], kind="reply", title=f"Reply {n}", url=f"/forums/p/{n + 1}")
    session.commit()
    first = runner.invoke(args=["notifications", "digest"])
    assert first.exit_code == 0 and "Queued 1 digest mail(s)" in first.output
    second = runner.invoke(args=["notifications", "digest"])
    assert second.exit_code == 0 and "Queued 0 digest mail(s)" in second.output
    [mail] = _mails(session, ann.email)
    assert "Reply 0" in mail.body_text and "Reply 1" in mail.body_text and "/forums/p/2" in mail.body_text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
