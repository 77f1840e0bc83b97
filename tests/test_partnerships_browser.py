"""Partnerships in headless Chromium: Alpha's admin proposes a partnership, Beta's admin accepts
it, both company pages show it; Alpha's admin registers a back-end system. axe-core finds no
serious or critical violation on the partnerships, propose, systems, system, audit and consent pages."""

from __future__ import annotations

import re

import pytest

from portal.auth.provider.clients import register_client
from portal.auth.services import register_account
from portal.db import db
from portal.profiles.services import person_by_email
from tests.test_browser import AXE, _axe_violations
from tests.test_companies_support import make_company

pytestmark = pytest.mark.browser

PASSWORD = "a-long-partner-password"
ANN, BEN = "ann@alpha-partners.example", "ben@beta-partners.example"
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def companies(live_server):
    with live_server.app.app_context():
        session = db.session
        slugs = {}
        for name, email, company in (("Ann Alpha", ANN, "Alpha Partners Browser"),
                                     ("Ben Beta", BEN, "Beta Partners Browser")):
            register_account(session, name, email, PASSWORD, verified=True)
            slugs[company] = make_company(session, person_by_email(session, email), company).slug
        client, _ = register_client(session, name="Alpha CRM", owner_company_id=None, redirect_uris=[REDIRECT],
                                    grant_types=["authorization_code"], token_endpoint_auth_method="none",
                                    scopes=["openid", "profile", "org", "entitlements"])
        session.commit()
        return {"alpha": slugs["Alpha Partners Browser"], "beta": slugs["Beta Partners Browser"],
                "client_id": client.client_id}


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_propose_accept_and_both_company_pages_show_it(page, chromium, live_server, companies):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (the .ci/run script does)")
    problems: dict = {}

    def scan(on) -> None:
        violations = _axe_violations(on)
        if violations:
            problems[on.url] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]

    _log_in(page, ANN)
    page.goto("/partnerships/")
    assert page.get_by_role("heading", name="Partnerships of Alpha Partners Browser", level=1).is_visible()
    scan(page)
    page.get_by_role("link", name="Propose a partnership").click()
    page.wait_for_load_state()
    page.get_by_label("Company").select_option(label="Beta Partners Browser")
    page.get_by_label("Kind of partnership").select_option(label="Reseller")
    page.get_by_label(re.compile("Note to their admins")).fill("Resell our integration kit in the Nordics.")
    scan(page)
    page.get_by_role("button", name="Send the proposal").click()
    page.wait_for_load_state()
    assert page.get_by_text(re.compile("Proposal sent")).is_visible()
    assert page.get_by_role("link", name="Beta Partners Browser").first.is_visible()

    other = chromium.new_context(base_url=live_server.url).new_page()
    _log_in(other, BEN)
    other.goto("/partnerships/")
    assert other.get_by_text("Resell our integration kit in the Nordics.").is_visible()
    other.get_by_role("button", name=re.compile("Accept the partnership with Alpha Partners Browser")).click()
    other.wait_for_load_state()
    assert other.get_by_text("Partnership accepted.").is_visible()
    scan(other)
    other.context.close()

    for own, partner in ((companies["alpha"], "Beta Partners Browser"), (companies["beta"], "Alpha Partners Browser")):
        page.goto(f"/companies/{own}")
        section = page.locator("section").filter(has=page.get_by_role("heading", name="Partnerships (1)"))
        assert section.get_by_role("link", name=partner).is_visible()
        assert section.get_by_text("Reseller").is_visible()

    page.goto("/partnerships/systems")
    scan(page)
    page.get_by_label("Name").fill("Alpha orders API")
    page.get_by_label("Audience").fill("https://orders.alpha-partners.example/api")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Alpha orders API", level=1).is_visible()
    scan(page)
    page.goto("/partnerships/audit")
    assert page.get_by_role("cell", name="Partnership accepted").is_visible()
    scan(page)

    page.goto(f"/oauth/authorize?response_type=code&client_id={companies['client_id']}&redirect_uri={REDIRECT}"
              "&scope=openid%20profile%20org&state=s&nonce=n&code_challenge=" + "A" * 43
              + "&code_challenge_method=S256")
    assert page.get_by_role("heading", name="Share with Alpha CRM?").is_visible()
    scan(page)
    assert problems == {}
