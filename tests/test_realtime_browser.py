"""Live updates in headless Chromium: a reply appears on an open thread page without reloading,
and the nav's notification count goes up."""

from __future__ import annotations

import pytest

from portal.auth.services import register_account
from portal.db import db
from portal.forums.services import create_category, create_thread
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
    page.wait_for_function("document.getElementById('nav-notifications-count').textContent.trim() === '1'")
    assert badge.is_visible()
    ben.context.close()
