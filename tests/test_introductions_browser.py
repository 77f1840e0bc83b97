"""Introductions in headless Chromium: a member finds someone under "People to meet", asks for an
introduction, the other accepts, both see each other's email and talk in the private conversation;
no serious accessibility violations on the pages along the way."""

from __future__ import annotations

import re

import pytest

from portal.auth.services import register_account
from portal.companies.services import create_company, set_company_tags
from portal.db import db
from portal.profiles.services import person_by_email, set_company_membership, set_person_tags
from tests.test_browser import AXE, _axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-introductions-password"
MIA, OMAR = "mia@northwind-intro.example", "omar@sapworks-intro.example"


@pytest.fixture(scope="module")
def people(live_server):
    """Mia (Northwind Freight) needs SAP consulting; Omar (SAPworks) offers it. They share no
    connection and Omar's email is shown to connections only (the default)."""
    with live_server.app.app_context():
        session = db.session
        northwind = create_company(session, "Northwind Freight", industry="Logistics", region="Western Europe",
                                   partner_type="reseller", website="https://northwind-intro.example")
        sapworks = create_company(session, "SAPworks Consulting", industry="Software", region="Northern Europe",
                                  partner_type="consultancy", website="https://sapworks-intro.example")
        set_company_tags(session, sapworks, "offer", ["SAP consulting"])
        for name, email, company, tags in (
                ("Mia Requester", MIA, northwind, {"need": ["SAP consulting"], "skill": ["Freight forwarding"]}),
                ("Omar Offerer", OMAR, sapworks, {"offer": ["SAP consulting"], "skill": ["SAP S/4HANA"]})):
            register_account(session, name, email, PASSWORD, verified=True)
            person = person_by_email(session, email)
            set_company_membership(session, person, company.id)
            for kind, names in tags.items():
                set_person_tags(session, person, kind, names)
        session.commit()
        return {"omar_slug": person_by_email(session, OMAR).slug, "mia_slug": person_by_email(session, MIA).slug}


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _log_out(page) -> None:
    page.get_by_role("button", name=re.compile("Log out", re.I)).click()
    page.wait_for_load_state()


def _assert_accessible(page, problems: dict) -> None:
    violations = _axe_violations(page)
    if violations:
        problems[page.url] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_ask_accept_and_talk(page, live_server, people):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (the .ci/run script does)")
    problems: dict = {}

    # Mia's dashboard recommends Omar, and says why.
    _log_in(page, MIA)
    page.goto("/")
    meet = page.get_by_role("region", name="People to meet")
    assert meet.is_visible()
    card = meet.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Omar Offerer"))
    assert card.get_by_text(re.compile("SAP consulting")).first.is_visible()
    _assert_accessible(page, problems)

    # Before any introduction, Omar's profile does not show his email to Mia.
    page.goto(f"/people/{people['omar_slug']}")
    assert OMAR not in page.content()

    page.goto("/")
    card.get_by_role("link", name="Ask for an introduction to Omar Offerer").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Ask for an introduction to Omar Offerer").is_visible()
    _assert_accessible(page, problems)
    page.get_by_label("Ask them directly").check()
    page.get_by_label("Why would you like to meet?").fill("We need SAP consulting for a carrier rollout.")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your request is on its way to Omar Offerer").is_visible()
    assert page.get_by_role("heading", name="Waiting for the other person (1)").is_visible()
    _assert_accessible(page, problems)
    _log_out(page)

    # Omar finds it on his introductions page and accepts.
    _log_in(page, OMAR)
    page.goto("/introductions/")
    assert page.get_by_role("heading", name="Waiting for your answer (1)").is_visible()
    page.get_by_role("link", name="Mia Requester").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("We need SAP consulting for a carrier rollout.").is_visible()
    assert MIA not in page.content()  # nothing shared before he accepts
    _assert_accessible(page, problems)
    page.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    contact = page.get_by_role("region", name="Contact")
    assert contact.get_by_role("link", name=MIA).is_visible()
    conversation = page.get_by_role("region", name="Conversation")
    assert conversation.get_by_text("Only you and Mia Requester can read this conversation").is_visible()
    _assert_accessible(page, problems)
    # The conversation itself is on the messages pages.
    conversation.get_by_role("link", name="Open the conversation with Mia Requester").click()
    page.wait_for_load_state()
    assert page.get_by_text("Only you and Mia Requester can read this conversation").is_visible()
    page.get_by_label("Your message").fill("Hi Mia, happy to help. Tuesday at 10?")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state()
    chat_url = page.url.split("#")[0]
    _assert_accessible(page, problems)
    _log_out(page)

    # Mia now sees Omar's email (on his profile, through the new connection) and his message.
    _log_in(page, MIA)
    page.goto(f"/people/{people['omar_slug']}")
    assert page.get_by_text(OMAR).first.is_visible()
    page.goto("/introductions/")
    assert page.get_by_role("heading", name="Introduced (1)").is_visible()
    page.get_by_role("link", name="Conversation with Omar Offerer").click()
    page.wait_for_load_state()
    assert page.url.split("#")[0] == chat_url
    assert page.get_by_text("Hi Mia, happy to help. Tuesday at 10?").is_visible()
    page.get_by_role("link", name="your introduction").click()  # and back to the introduction
    page.wait_for_load_state()
    assert page.get_by_role("region", name="Contact").get_by_role("link", name=OMAR).is_visible()
    page.get_by_role("link", name="Open the conversation with Omar Offerer").click()
    page.wait_for_load_state()
    page.get_by_label("Your message").fill("Tuesday works, see you then.")
    page.get_by_role("button", name="Send message").click()
    page.wait_for_load_state()
    messages = page.locator(".message-list li.message")
    assert messages.count() == 2 and "Tuesday works" in messages.nth(1).inner_text()
    # Omar is no longer among the people Mia is told to meet.
    page.goto("/")
    assert page.get_by_role("region", name="People to meet").get_by_role("heading", name="Omar Offerer").count() == 0
    _assert_accessible(page, problems)
    assert problems == {}
