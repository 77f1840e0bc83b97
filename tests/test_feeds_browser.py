"""Following in headless Chromium: follow a thread from its page; someone else's reply then shows
in the follower's dashboard feed."""

from __future__ import annotations

import pytest

from portal.auth.services import register_account
from portal.db import db
from portal.forums.services import create_category, create_thread
from portal.profiles.services import person_by_email

pytestmark = pytest.mark.browser

PASSWORD = "a-long-feeds-password"


@pytest.fixture(scope="module")
def thread_url(live_server):
    with live_server.app.app_context():
        session = db.session
        for name, email in (("Nora Feed", "nora@feeds.example"), ("Ravi Feed", "ravi@feeds.example")):
            register_account(session, name, email, PASSWORD, verified=True)
        category = create_category(session, "Feeds lounge")
        author = person_by_email(session, "ravi@feeds.example")
        thread = create_thread(session, category, author.id, "Who runs a Peppol access point?",
                               "We need e-invoicing for Belgium by January.")
        session.commit()
        return f"/forums/t/{thread.id}/{thread.slug}"


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_follow_a_thread_and_see_a_reply_in_the_dashboard(page, chromium, live_server, thread_url):
    _log_in(page, "nora@feeds.example")
    page.goto(thread_url)
    page.get_by_role("button", name="Follow").click()
    page.wait_for_load_state()
    assert page.url.endswith(thread_url)
    assert page.get_by_role("button", name="Following").is_visible()

    other = chromium.new_context(base_url=live_server.url).new_page()
    _log_in(other, "ravi@feeds.example")
    other.goto(thread_url)
    other.get_by_label("Your reply").fill("We do: Storecove, live since March.")
    other.get_by_role("button", name="Post reply").click()
    other.wait_for_load_state()
    other.context.close()

    page.goto("/")
    feed = page.locator(".dashboard-feed")
    item = feed.get_by_role("link", name="Ravi Feed replied to “Who runs a Peppol access point?”")
    item.wait_for()
    assert feed.get_by_text("We do: Storecove, live since March.").is_visible()
    item.click()
    page.wait_for_load_state()
    assert page.get_by_text("We do: Storecove, live since March.").is_visible()
