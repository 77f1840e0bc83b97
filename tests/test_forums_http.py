"""Forum pages over HTTP: reading by permission, posting, quoting, permalinks, moderation."""

from __future__ import annotations

import re

import pytest

from portal.db import db
from portal.forums import services
from portal.forums.models import Thread
from tests.test_companies_support import login, make_user
from tests.test_forums_support import make_thread


@pytest.fixture
def forum(app):
    with app.app_context():
        s = db.session
        dana_user, dana = make_user(s, name="Dana Reyes")
        lee_user, lee = make_user(s, name="Lee Chen")
        admin_user, admin = make_user(s, role="ecosystem_admin", name="Ada Admin")
        public = services.create_category(s, "General")
        members = services.create_category(s, "Partners only", visibility="members")
        group = services.create_group(s, "SAP alliance", dana.id)
        group_category = services.group_category(s, group)
        thread = make_thread(s, public, dana, tags="sap")
        secret = make_thread(s, group_category, dana, title="Secret pricing plan", body="Our margin is 40%")
        db.commit()
        return {"users": {"dana": dana_user, "lee": lee_user, "admin": admin_user},
                "dana_slug": dana.slug, "lee_slug": lee.slug, "lee_id": lee.id,
                "public": public.slug, "members": members.slug, "group": group.slug,
                "group_category": group_category.slug, "thread": thread.id, "secret": secret.id}


def test_public_category_readable_anonymously_members_one_not(client, forum):
    assert client.get(f"/forums/c/{forum['public']}").status_code == 200
    response = client.get(f"/forums/c/{forum['members']}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(f"/forums/t/{forum['thread']}").get_data(as_text=True)
    assert "Who knows S/4HANA migrations?" in page and "Log in</a> to reply" in page


def test_private_group_is_invisible_to_outsiders(client, forum):
    login(client, forum["users"]["lee"])
    assert client.get(f"/forums/t/{forum['secret']}").status_code == 404
    assert client.get(f"/forums/c/{forum['group_category']}").status_code == 404
    assert "SAP alliance" not in client.get("/forums/").get_data(as_text=True)
    login(client, forum["users"]["dana"])
    assert "Our margin is 40%" in client.get(f"/forums/t/{forum['secret']}").get_data(as_text=True)
    login(client, forum["users"]["admin"])
    assert client.get(f"/forums/t/{forum['secret']}").status_code == 200


def test_start_thread_and_reply_with_quote(client, forum, app):
    login(client, forum["users"]["lee"])
    response = client.post(f"/forums/c/{forum['public']}/new",
                           data={"title": "EDI partners in Benelux?", "body": "Anyone doing **EDI**?", "tags": "EDI"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>EDI</strong>" in page
    thread_id = int(re.search(r"/forums/t/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        first = services.opening_post(db.session, db.session.get(Thread, thread_id))
    quoted = client.get(f"/forums/t/{thread_id}?quote={first.id}").get_data(as_text=True)
    assert "&gt; Anyone doing **EDI**?" in quoted
    login(client, forum["users"]["dana"])
    response = client.post(f"/forums/t/{thread_id}/reply", data={"body": "Yes, we do.", "reply_to": str(first.id)})
    assert response.status_code == 302 and response.headers["Location"].endswith("#p2")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "In reply to" in page and "Yes, we do." in page


def test_bad_input_gets_form_errors_not_500(client, forum):
    login(client, forum["users"]["lee"])
    response = client.post(f"/forums/c/{forum['public']}/new", data={"title": "", "body": ""})
    assert response.status_code == 400 and "field-error" in response.get_data(as_text=True)
    response = client.post(f"/forums/t/{forum['thread']}/reply", data={"body": "x", "reply_to": "abc"})
    assert response.status_code == 400 and "no longer exists" in response.get_data(as_text=True)
    assert client.post(f"/forums/p/{forum['thread']}/react/<script>").status_code in (400, 404)
    assert client.get("/forums/t/999999").status_code == 404


def test_script_in_title_is_inert(client, forum):
    login(client, forum["users"]["lee"])
    response = client.post(f"/forums/c/{forum['public']}/new",
                           data={"title": "<script>alert(1)</script>", "body": "<img src=x onerror=alert(1)>"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_permalink_finds_the_post_on_a_later_page(client, forum, app):
    with app.app_context():
        thread = db.session.get(Thread, forum["thread"])
        for n in range(60):
            last = services.reply(db.session, thread, forum["lee_id"], f"Reply number {n}")
        db.commit()
        last_id, last_number = last.id, last.number
    response = client.get(f"/forums/p/{last_id}")
    assert response.status_code == 302
    assert f"page=2#p{last_number}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="p{last_number}"' in page and "Page 2 of 2" in page


def test_unread_marker_shows_in_category_listing(client, forum, app):
    login(client, forum["users"]["lee"])
    assert "badge-new" in client.get(f"/forums/c/{forum['public']}").get_data(as_text=True)
    client.get(f"/forums/t/{forum['thread']}")
    assert "badge-new" not in client.get(f"/forums/c/{forum['public']}").get_data(as_text=True)
    with app.app_context():
        services.reply(db.session, db.session.get(Thread, forum["thread"]), None, "News")
        db.commit()
    assert "1 unread" in client.get(f"/forums/c/{forum['public']}").get_data(as_text=True)


def test_edit_shows_history(client, forum, app):
    login(client, forum["users"]["dana"])
    with app.app_context():
        post_id = services.opening_post(db.session, db.session.get(Thread, forum["thread"])).id
    response = client.post(f"/forums/p/{post_id}/edit", data={"title": "S/4HANA migration partners", "body": "Updated"})
    assert response.status_code == 302
    page = client.get(f"/forums/p/{post_id}/history").get_data(as_text=True)
    assert "We are <em>looking</em> for help." in page and "Who knows S/4HANA migrations?" in page
    login(client, forum["users"]["lee"])
    assert client.post(f"/forums/p/{post_id}/edit", data={"body": "Hijack"}).status_code == 403


def test_flag_then_admin_hides_from_the_queue(client, forum, app):
    with app.app_context():
        post_id = services.opening_post(db.session, db.session.get(Thread, forum["thread"])).id
    login(client, forum["users"]["lee"])
    assert client.get("/forums/moderation").status_code == 403
    response = client.post(f"/forums/p/{post_id}/flag", data={"reason": "spam", "note": "<b>ads</b>"})
    assert response.status_code == 302
    assert client.post(f"/forums/p/{post_id}/flag", data={"reason": "nonsense"}).status_code == 400
    login(client, forum["users"]["admin"])
    queue = client.get("/forums/moderation").get_data(as_text=True)
    assert "Spam" in queue and "&lt;b&gt;ads&lt;/b&gt;" in queue
    client.post(f"/forums/p/{post_id}/hide", data={"reason": "Advertising", "from": "queue"})
    assert "Nothing to review" in client.get("/forums/moderation").get_data(as_text=True)
    assert "hide post" in client.get("/forums/moderation/log").get_data(as_text=True)
    login(client, None)
    page = client.get(f"/forums/t/{forum['thread']}").get_data(as_text=True)
    assert "hidden by a moderator: Advertising" in page and "We are <em>looking</em>" not in page


def test_group_admin_adds_member_who_then_reads(client, forum):
    login(client, forum["users"]["dana"])
    response = client.post(f"/forums/g/{forum['group']}/members", data={"who": forum["lee_slug"], "role": "member"})
    assert response.status_code == 302
    unknown = client.post(f"/forums/g/{forum['group']}/members", data={"who": "ghost", "role": "member"})
    assert unknown.status_code == 400
    login(client, forum["users"]["lee"])
    assert client.get(f"/forums/t/{forum['secret']}").status_code == 200


def test_moderator_tools_pin_lock(client, forum):
    login(client, forum["users"]["admin"])
    client.post(f"/forums/t/{forum['thread']}/state/lock")
    login(client, forum["users"]["lee"])
    page = client.get(f"/forums/t/{forum['thread']}").get_data(as_text=True)
    assert "This thread is locked" in page
    assert client.post(f"/forums/t/{forum['thread']}/reply", data={"body": "late"}).status_code == 400


def test_reactions_and_accept_over_http(client, forum, app):
    with app.app_context():
        thread = db.session.get(Thread, forum["thread"])
        answer = services.reply(db.session, thread, forum["lee_id"], "Try the migration cockpit")
        db.commit()
        answer_id = answer.id
    login(client, forum["users"]["dana"])
    client.post(f"/forums/p/{answer_id}/react/thanks")
    client.post(f"/forums/p/{answer_id}/accept")
    page = client.get(f"/forums/t/{forum['thread']}").get_data(as_text=True)
    assert "Accepted answer" in page and 'aria-pressed="true"' in page
    login(client, forum["users"]["lee"])
    assert client.post(f"/forums/p/{answer_id}/accept").status_code == 403



def test_home_lists_only_threads_the_visitor_may_read(client, forum):
    home = client.get("/").get_data(as_text=True)
    assert "Who knows S/4HANA migrations?" in home and "Secret pricing plan" not in home
    login(client, forum["users"]["dana"])
    assert "Secret pricing plan" in client.get("/").get_data(as_text=True)


def test_category_page_shows_its_topics(client, forum):
    page = client.get(f"/forums/c/{forum['public']}").get_data(as_text=True)
    assert 'class="tag-cloud"' in page and ">sap<" in page.lower()
