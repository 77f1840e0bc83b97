"""Live updates in headless Chromium: a reply appears on an open thread page without reloading,
and the nav's notification count goes up."""

from __future__ import annotations

import pytest

from portal.auth.services import register_account
from portal.db import db
from portal.forums.services import create_category, create_thread
from portal.profiles.models import Person
from portal.profiles.services import person_by_email

pytestmark = pytest.mark.browser

PASSWORD = "a-long-live-password"


@pytest.fixture(scope="module")
def thread_path(live_server):
    with live_server.app.app_context():
        session = db.session
        for name, email in (("Ada Live", "ada@live.example"), ("Ben Live", "ben@live.example")):
            register_account(session, name, email, PASSWORD, verified=True)
        category = create_category(session, "Live questions")
        author = person_by_email(session, "ada@live.example")
        thread = create_thread(session, category, author.id, "Who runs SAP on Kubernetes?", "Asking for a client.")
        session.commit()
        return f"/forums/t/{thread.id}"


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_a_reply_appears_live_on_the_open_thread_and_the_count_goes_up(page, chromium, live_server, thread_path):
    from playwright.sync_api import expect  # only once the page fixture found Playwright

    _log_in(page, "ada@live.example")
    page.goto(thread_path)
    page.locator("html[data-live='connected']").wait_for(state="attached")
    badge = page.locator("#nav-notifications-count")
    assert badge.is_hidden()

    ben = chromium.new_context(base_url=live_server.url).new_page()
    _log_in(ben, "ben@live.example")
    ben.goto(thread_path)
    ben.get_by_label("Your reply").fill("We do, on **OpenShift**.")
    ben.get_by_role("button", name="Post reply").click()
    ben.wait_for_load_state()

    # Ada's page, never reloaded, shows Ben's reply and one unread notification.
    page.locator("#posts li.is-live-new").get_by_text("We do, on OpenShift.").wait_for()
    assert page.locator("#posts > li").count() == 2
    expect(badge).to_have_text("1")
    expect(badge).to_be_visible()
    ben.context.close()


def test_feed_items_and_messages_arrive_on_open_pages(page, chromium, live_server, thread_path):
    """Ada follows Ben and has her feed open in one tab and their conversation in another."""
    from portal.feeds.services import follow
    from portal.messages.services import start_conversation

    with live_server.app.app_context():
        session = db.session
        ada, ben = person_by_email(session, "ada@live.example"), person_by_email(session, "ben@live.example")
        follow(session, ada, "person", ben.id)
        conversation_id = start_conversation(session, ada, [ben], "Shall we meet?").conversation_id
        session.commit()
        ada_id, ben_id = ada.id, ben.id
    _log_in(page, "ada@live.example")
    page.goto("/feed")
    page.locator("html[data-live='connected']").wait_for(state="attached")
    conversation = page.context.new_page()
    conversation.goto(f"/messages/{conversation_id}")
    conversation.locator("html[data-live='connected']").wait_for(state="attached")

    with live_server.app.app_context():
        session = db.session
        category = create_category(session, "Live news")
        create_thread(session, category, ben_id, "Ben's new integration is live", "Details inside.")
        start_conversation(session, session.get(Person, ben_id), [session.get(Person, ada_id)], "Tuesday works.")
        session.commit()

    page.locator("#feed-items li.is-live-new").get_by_text("Ben's new integration is live").wait_for()
    conversation.locator("#message-list li.is-live-new").get_by_text("Tuesday works.").wait_for()
