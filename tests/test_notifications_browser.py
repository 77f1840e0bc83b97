"""Notifications in headless Chromium: the nav badge shows a mention, the page leads to the post
and the badge goes away; the notification and settings pages have no serious a11y problems."""

from __future__ import annotations

import pytest

from portal.auth.services import register_account
from portal.db import db
from portal.forums.services import create_category, create_thread
from portal.profiles.services import person_by_email
from portal.profiles.visibility import Viewer
from tests.test_browser import AXE, _axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-notification-password"


@pytest.fixture(scope="module")
def mention(live_server):
    with live_server.app.app_context():
        session = db.session
        for name, email in (("Noor Notified", "noor@notify.example"), ("Otto Mentioner", "otto@notify.example")):
            register_account(session, name, email, PASSWORD, verified=True)
        noor, otto = person_by_email(session, "noor@notify.example"), person_by_email(session, "otto@notify.example")
        category = create_category(session, "Notification flows")
        thread = create_thread(session, category, otto.id, "Who integrates with Acme ERP?",
                               f"@{noor.slug} you did this last year, right?",
                               viewer=Viewer(person_id=otto.id, is_member=True))
        session.commit()
        return {"thread_title": thread.title}


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_badge_leads_to_the_mention_and_clears(page, live_server, mention):
    _log_in(page, "noor@notify.example")
    badge = page.locator("#nav-notifications-count")
    assert badge.is_visible() and badge.inner_text() == "1"
    page.get_by_role("link", name="Notifications").click()
    page.wait_for_load_state()
    item = page.get_by_role("link", name=f"Otto Mentioner mentioned you in “{mention['thread_title']}”")
    item.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=mention["thread_title"]).is_visible()
    assert badge.is_hidden()
    if AXE.exists():
        for path in ("/notifications/", "/notifications/settings"):
            page.goto(path)
            assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in _axe_violations(page)] == []
