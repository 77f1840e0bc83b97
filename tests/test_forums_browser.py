"""Forum flows in headless Chromium: start a thread, quote-reply, react, accept, no a11y blockers."""

from __future__ import annotations

import re

import pytest

from portal.auth.services import register_account
from portal.db import db
from portal.forums.services import create_category, create_thread
from portal.profiles.services import person_by_email
from tests.test_browser import _axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-forum-password"


@pytest.fixture(scope="module")
def members(live_server):
    with live_server.app.app_context():
        session = db.session
        for name, email in (("Marta Forum", "marta@forum.example"), ("Kofi Forum", "kofi@forum.example")):
            register_account(session, name, email, PASSWORD, verified=True)
        category = create_category(session, "Integration questions")
        author = person_by_email(session, "kofi@forum.example")
        create_thread(session, category, author.id, "Carrier EDI gateway recommendations",
                      "Which EDI gateway do you use for carriers?")
        session.commit()
        return {"category": category.slug}


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_start_thread_quote_reply_react_and_accept(page, chromium, live_server, members):
    _log_in(page, "marta@forum.example")
    page.goto("/forums/")
    page.get_by_role("link", name="Integration questions").click()
    page.get_by_role("link", name="New thread").click()
    page.get_by_label("Title").press_sequentially("Who has an EDI gateway for Benelux carriers?")
    # While the title is typed, a similar existing thread is offered.
    similar = page.locator(".similar-threads")
    similar.get_by_role("link", name="Carrier EDI gateway recommendations").wait_for()
    page.get_by_label("Message").fill("We need **EDIFACT** to carriers in Benelux.")
    page.get_by_label("Tags").fill("EDI, logistics")
    page.get_by_role("button", name="Start thread").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Who has an EDI gateway for Benelux carriers?").is_visible()
    thread_url = page.url

    other = chromium.new_context(base_url=live_server.url).new_page()
    _log_in(other, "kofi@forum.example")
    other.goto(thread_url)
    other.get_by_role("link", name="Quote").first.click()
    reply_box = other.get_by_label("Your reply")
    assert "EDIFACT" in reply_box.input_value()
    reply_box.press("End")
    reply_box.type("We run one for DHL and PostNL.")
    other.get_by_role("button", name="Post reply").click()
    other.wait_for_load_state()
    assert other.get_by_text("We run one for DHL and PostNL.").is_visible()
    assert other.get_by_text("In reply to").is_visible()
    other.context.close()

    page.goto(thread_url)
    answer = page.locator("#p2")
    answer.get_by_role("button", name=re.compile("thanks", re.I)).click()
    page.wait_for_load_state()
    assert page.locator("#p2").get_by_role("button", name=re.compile("thanks", re.I)).get_attribute(
        "aria-pressed") == "true"
    page.locator("#p2").get_by_role("button", name="Accept answer").click()
    page.wait_for_load_state()
    assert page.locator("#p2").get_by_text("Accepted answer").is_visible()

    problems = {}
    for path in ["/forums/", f"/forums/c/{members['category']}", thread_url]:
        page.goto(path)
        violations = _axe_violations(page)
        if violations:
            problems[path] = [(v["id"], v["help"]) for v in violations]
    assert problems == {}
