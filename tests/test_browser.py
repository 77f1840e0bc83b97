"""What a person clicks through, in headless Chromium against a real server on loopback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portal.companies.services import create_company, set_company_tags
from portal.db import db
from portal.profiles.services import create_person, set_company_membership, set_person_tags

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def seeded(live_server):
    """A company with a few people on the live server's database."""
    with live_server.app.app_context():
        session = db.session
        company = create_company(session, "Brightpath Analytics", industry="Software", region="Northern Europe",
                                 partner_type="isv", website="https://brightpath.example",
                                 description="We build **analytics** for logistics partners.")
        set_company_tags(session, company, "offer", ["Data warehousing", "Machine learning"])
        set_company_tags(session, company, "need", ["SAP consulting"])
        people = []
        for name, skills in (("Søren Lindqvist", ["Python", "dbt"]), ("Ngozi Okafor", ["Kubernetes"])):
            person = create_person(session, name, headline="Partner engineer", location="Oslo",
                                   region="Northern Europe", job_title="Engineer")
            set_company_membership(session, person, company.id)
            set_person_tags(session, person, "skill", skills)
            people.append(person.slug)
        session.commit()
        return {"company": company.slug, "people": people}


def test_sign_up_verify_fill_profile_and_find_yourself(page, live_server, seeded):
    page.goto("/signup")
    page.get_by_label("Name", exact=True).fill("Łukasz Browser")
    page.get_by_label("Email", exact=True).fill("lukasz@browser.example")
    page.get_by_label("Password", exact=True).fill("a-long-browser-password")
    page.get_by_label(re.compile("Confirm|Repeat", re.I)).fill("a-long-browser-password")
    page.get_by_role("button", name=re.compile("Sign up|Create", re.I)).click()
    page.wait_for_load_state()
    assert "lukasz@browser.example" in page.content() or "email" in page.content().lower()

    # The verification mail sits in the dev outbox.
    page.goto("/dev/outbox")
    page.get_by_role("link", name=re.compile("verify|confirm", re.I)).first.click()
    link = page.locator("a[href*='/verify/']").first.get_attribute("href")
    page.goto(link)

    # Verified and logged in: fill the profile.
    page.goto("/profile/edit")
    page.get_by_label("Headline").fill("Integration architect for logistics")
    page.get_by_label("Skills").fill("EDI integration, Rust")
    page.get_by_role("button", name=re.compile("Save", re.I)).click()
    page.wait_for_load_state()
    assert page.get_by_text("Integration architect for logistics").is_visible()

    # The directory finds the new member by skill.
    page.goto("/people?tag=Rust")
    assert page.get_by_role("link", name="Łukasz Browser").first.is_visible()


def _axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text())  # evaluated through the driver: the page's CSP forbids injected scripts
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [v for v in json.loads(result) if v["impact"] in ("serious", "critical")]


def test_key_pages_have_no_serious_accessibility_violations(page, seeded):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (the .ci/run script does)")
    paths = ["/", f"/people/{seeded['people'][0]}", f"/companies/{seeded['company']}", "/people", "/companies"]
    problems = {}
    for path in paths:
        page.goto(path)
        violations = _axe_violations(page)
        if violations:
            problems[path] = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert problems == {}
