"""Feed pages over HTTP: follow buttons (CSRF), the feed and dashboard, company feeds, 400s."""

from __future__ import annotations

import re

import pytest

from portal.feeds import services
from portal.forums import services as forums
from tests.test_companies_support import login, make_company, make_user
from tests.test_feeds_support import status
from tests.test_forums_support import make_thread


@pytest.fixture
def world(session):
    dana_user, dana = make_user(session, name="Dana Reyes")
    lee_user, lee = make_user(session, name="Lee Chen")
    acme = make_company(session, lee, name="Acme Integration")
    general = forums.create_category(session, "General")
    thread = make_thread(session, general, lee, title="EDI partners in Benelux?", tags="edi")
    group = forums.create_group(session, "SAP alliance", lee.id)
    secret = make_thread(session, forums.group_category(session, group), lee, title="Secret pricing plan")
    session.commit()
    return {"dana_user": dana_user, "dana": dana, "lee_user": lee_user, "lee": lee, "acme": acme,
            "thread": thread, "secret": secret}


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_follow_button_on_thread_page_posts_with_csrf(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(client, world["dana_user"])
    thread_url = f"/forums/t/{world['thread'].id}"
    page = client.get(thread_url).get_data(as_text=True)
    assert f'action="/follow/thread/{world["thread"].id}"' in page
    forged = client.post(f"/follow/thread/{world['thread'].id}", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    response = client.post(f"/follow/thread/{world['thread'].id}", data={"csrf_token": _csrf(page),
                                                                        "next": thread_url})
    assert response.status_code == 302 and response.headers["Location"] == thread_url
    page = client.get(thread_url).get_data(as_text=True)
    assert f'action="/unfollow/thread/{world["thread"].id}"' in page and "Following" in page
    following = client.get("/feed/following").get_data(as_text=True)
    assert "EDI partners in Benelux?" in following


def test_follow_buttons_on_profile_company_and_tag_pages(client, world, session):
    login(client, world["dana_user"])
    lee, acme = world["lee"], world["acme"]
    assert f'/follow/person/{lee.id}"' in client.get(f"/people/{lee.slug}").get_data(as_text=True)
    company_page = client.get(f"/companies/{acme.slug}").get_data(as_text=True)
    assert f'/follow/company/{acme.id}"' in company_page and f"/companies/{acme.slug}/feed" in company_page
    tag = forums.thread_tags(session, [world["thread"].id])[world["thread"].id][0]
    assert f'/follow/tag/{tag.id}"' in client.get(f"/tags/{tag.key}").get_data(as_text=True)
    # No button on one's own profile, none for visitors.
    assert "/follow/person/" not in client.get(f"/people/{world['dana'].slug}").get_data(as_text=True)
    login(client, None)
    assert "/follow/" not in client.get(f"/companies/{acme.slug}").get_data(as_text=True)


def test_following_needs_login_and_a_visible_target(client, world):
    response = client.post(f"/follow/thread/{world['thread'].id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, world["dana_user"])
    assert client.post(f"/follow/thread/{world['secret'].id}").status_code == 404  # a private group's thread
    assert client.post("/follow/planet/1").status_code == 400
    assert client.post("/follow/company/987654").status_code == 404
    assert client.post(f"/follow/person/{world['dana'].id}").status_code == 400  # oneself
    assert client.post("/unfollow/planet/1").status_code == 400


def test_feed_page_dashboard_and_unfollow(client, world, session):
    dana, acme = world["dana"], world["acme"]
    services.follow(session, dana, "company", acme.id)
    status(session, acme.id, "Price list v3 published")
    session.commit()
    login(client, world["dana_user"])
    assert "Price list v3 published" in client.get("/feed").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Your feed" in home and "Price list v3 published" in home
    client.post(f"/unfollow/company/{acme.id}")
    assert "Price list v3 published" not in client.get("/feed").get_data(as_text=True)


def test_feed_pages_older_link_and_bad_input(client, world, session):
    dana, acme = world["dana"], world["acme"]
    services.follow(session, dana, "company", acme.id)
    for n in range(35):
        status(session, acme.id, f"Update number {n:02d}", minutes_ago=100 - n)
    session.commit()
    login(client, world["dana_user"])
    first = client.get("/feed").get_data(as_text=True)
    assert "Update number 34" in first and "Update number 04" not in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "Update number 04" in second and "Update number 34" not in second
    assert client.get("/feed?after=not-a-cursor").status_code == 400
    assert client.get("/feed?show=nonsense").status_code == 400
    assert client.get(f"/companies/{acme.slug}/feed?after=%00%01").status_code == 400
    filtered = client.get("/feed?show=documents").get_data(as_text=True)
    assert "Update number 34" not in filtered


def test_company_feed_shows_its_activities_to_visitors_but_not_members_only_ones(client, world, session):
    acme = world["acme"]
    status(session, acme.id, "Members-only news")
    status(session, acme.id, "Public news", members_only=False)
    session.commit()
    page = client.get(f"/companies/{acme.slug}/feed").get_data(as_text=True)
    assert "Public news" in page and "Members-only news" not in page
    login(client, world["dana_user"])
    page = client.get(f"/companies/{acme.slug}/feed").get_data(as_text=True)
    assert "Public news" in page and "Members-only news" in page
    assert client.get("/companies/no-such-company/feed").status_code == 404


def test_external_links_and_titles_are_inert(client, world, session):
    acme = world["acme"]
    services.record_activity(session, verb="status", title="<script>alert(1)</script>", targets=[],
                             url="https://erp.example/price-list", company_id=acme.id)
    session.commit()
    login(client, world["dana_user"])
    page = client.get(f"/companies/{acme.slug}/feed").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert 'href="https://erp.example/price-list" rel="nofollow noopener noreferrer"' in page


def test_members_only_portal_keeps_company_feeds_from_visitors(client, world, session):
    from portal.admin.services import set_members_only

    set_members_only(session, True)
    status(session, world["acme"].id, "Public news", members_only=False)
    session.commit()
    response = client.get(f"/companies/{world['acme'].slug}/feed")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
