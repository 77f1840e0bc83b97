"""Private messages in headless Chromium: a member writes to another from their profile; the
other sees the unread badge, finds the conversation in the inbox and reads it; no serious
accessibility violations on the pages along the way."""

from __future__ import annotations

import re

import pytest

from portal.auth.services import register_account
from portal.db import db
from portal.profiles.services import person_by_email
from tests.test_browser import AXE, _axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-messages-password"
NORA, PAUL = "nora@messages-browser.example", "paul@messages-browser.example"


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        session = db.session
        for name, email in (("Nora Sender", NORA), ("Paul Reader", PAUL)):
            register_account(session, name, email, PASSWORD, verified=True)
        session.commit()
        return {"paul_slug": person_by_email(session, PAUL).slug}


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _accessible(page, problems: dict) -> None:
    violations = _axe_violations(page)
    if violations:
        problems[page.url] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_send_a_message_and_read_it_in_the_inbox(page, live_server, people):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (the .ci/run script does)")
    problems: dict = {}
    _log_in(page, NORA)
    page.goto(f"/people/{people['paul_slug']}")
    page.get_by_role("link", name="Message Paul Reader").click()
    page.wait_for_load_state()
    assert page.get_by_label("To").input_value() == people["paul_slug"]
    _accessible(page, problems)
    page.get_by_label("Your message").fill("Hello Paul, shall we talk about **EDI** on Friday?")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Paul Reader").is_visible()
    assert page.locator(".message-list li.message strong").inner_text() == "EDI"
    _accessible(page, problems)
    page.get_by_role("button", name=re.compile("Log out", re.I)).click()
    page.wait_for_load_state()

    _log_in(page, PAUL)
    badge = page.locator("#nav-messages-count")
    assert badge.is_visible() and badge.inner_text() == "1"
    page.get_by_role("link", name=re.compile("^Messages")).click()
    page.wait_for_load_state()
    inbox = page.get_by_role("list", name="Your conversations")
    row = inbox.get_by_role("listitem").filter(has=page.get_by_role("link", name="Nora Sender"))
    assert row.get_by_text("1 unread").is_visible() and "shall we talk" in row.inner_text()
    _accessible(page, problems)
    row.get_by_role("link", name="Nora Sender").click()
    page.wait_for_load_state()
    assert page.get_by_text("Hello Paul, shall we talk about").is_visible()
    assert page.locator("#nav-messages-count").is_hidden()  # read now
    _accessible(page, problems)
    assert problems == {}
