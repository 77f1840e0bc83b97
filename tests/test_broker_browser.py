"""The broker console in headless Chromium: an ecosystem admin suggests a batch, proposes a pair
with a personal note, follows it in the pipeline and the members' request queue; no serious
accessibility violations on those pages."""

from __future__ import annotations

import re

import pytest

from portal.auth.services import register_account
from portal.companies.services import create_company, set_company_tags
from portal.db import db
from portal.introductions.services import ask_broker
from portal.profiles.services import person_by_email, set_company_membership, set_person_tags
from tests.test_browser import AXE, _axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "a-long-broker-password"
ADMIN = "bianca@hub-broker.example"


@pytest.fixture(scope="module")
def ecosystem(live_server):
    """Nina (Logistics, Western Europe) needs customs brokerage, which Pavel (Software, Eastern Europe)
    offers; Rosa has asked the admins to introduce her to Pavel."""
    with live_server.app.app_context():
        session = db.session
        register_account(session, "Bianca Broker", ADMIN, PASSWORD, verified=True, role="ecosystem_admin")
        haulers = create_company(session, "Rhine Haulers", industry="Logistics", region="Western Europe",
                                 partner_type="reseller", website="https://rhine-broker.example")
        customs = create_company(session, "Customs Cloud", industry="Software", region="Eastern Europe",
                                 partner_type="isv", website="https://customs-broker.example")
        set_company_tags(session, customs, "offer", ["Customs brokerage"])
        people = {}
        for name, email, company, tags in (
                ("Nina Needs", "nina@rhine-broker.example", haulers, {"need": ["Customs brokerage"]}),
                ("Pavel Provides", "pavel@customs-broker.example", customs, {"offer": ["Customs brokerage"]}),
                ("Rosa Requests", "rosa@rhine-broker.example", haulers, {"interest": ["Customs brokerage"]})):
            register_account(session, name, email, PASSWORD, verified=True)
            person = person_by_email(session, email)
            set_company_membership(session, person, company.id)
            for kind, names in tags.items():
                set_person_tags(session, person, kind, names)
            people[name.split()[0]] = person
        ask_broker(session, people["Rosa"], people["Pavel"], "We would like to automate customs for our trucks.")
        session.commit()


def test_suggest_propose_and_follow_the_pipeline(page, ecosystem):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (the .ci/run script does)")
    problems: dict = {}

    def scan() -> None:
        violations = _axe_violations(page)
        if violations:
            problems[page.url] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]

    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

    page.goto("/broker/")
    assert page.get_by_role("heading", name="Broker console", level=1).is_visible()
    assert page.get_by_role("link", name=re.compile("1 member request for an introduction waiting")).is_visible()
    page.get_by_label("Region of their company").select_option("Western Europe")
    page.get_by_label(re.compile("Both people in the segment")).uncheck()
    page.get_by_role("button", name="Suggest a batch").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Suggested introductions", level=1).is_visible()
    row = page.locator("tr").filter(has=page.get_by_role("link", name="Nina Needs")).filter(
        has=page.get_by_role("link", name="Pavel Provides"))
    assert row.get_by_text(re.compile("Customs brokerage")).first.is_visible()
    scan()

    row.get_by_label("Personal note to").fill("Nina, Pavel automates customs filings: worth a call.")
    row.get_by_role("button", name=re.compile("Propose")).click()
    page.wait_for_load_state()
    assert page.get_by_text("Proposed 1 introduction; both people were notified.").is_visible()
    row = page.locator("tr").filter(has=page.get_by_role("link", name="Nina Needs")).filter(
        has=page.get_by_role("link", name="Pavel Provides"))
    assert row.get_by_text("Proposed", exact=True).is_visible()
    scan()

    # The broker's view of the introduction: answers and the note, not the conversation.
    row.get_by_role("link", name=re.compile("View")).click()
    page.wait_for_load_state()
    assert page.get_by_text("Nina, Pavel automates customs filings: worth a call.").is_visible()
    assert page.get_by_text("You see this as an ecosystem admin").is_visible()
    scan()

    # The console lists the batch; the pipeline counts the suggestion and the proposal.
    page.goto("/broker/")
    assert page.get_by_role("heading", name="Recent batches").is_visible()
    assert page.get_by_role("cell", name="Western Europe").first.is_visible()
    scan()
    page.get_by_role("navigation", name="Broker console").get_by_role("link", name="Pipeline").click()
    page.wait_for_load_state()
    table = page.get_by_role("table", name="Introductions per stage and conversion from the previous stage")
    for stage in ("Suggested", "Proposed"):
        count = table.get_by_role("row", name=re.compile(stage)).get_by_role("cell").first.inner_text()
        assert int(count) >= 1, stage
    assert page.get_by_role("img", name="Pipeline funnel").is_visible()
    scan()

    page.get_by_role("navigation", name="Broker console").get_by_role("link", name="Members' requests").click()
    page.wait_for_load_state()
    assert page.get_by_text("We would like to automate customs for our trucks.").is_visible()
    scan()
    assert problems == {}
