"""The health page in headless Chromium: an ecosystem admin segments the report; no a11y blockers."""

from __future__ import annotations

import pytest

from portal.auth.services import register_account
from portal.db import db
from tests.test_browser import AXE, _axe_violations
from tests.test_health_support import small_ecosystem

pytestmark = pytest.mark.browser

PASSWORD = "a-long-health-password"


@pytest.fixture(scope="module")
def health_admin(live_server):
    with live_server.app.app_context():
        session = db.session
        small_ecosystem(session, owner_name="Health Hub <b>Co</b>")
        register_account(session, "Hana Health", "hana@health.example", PASSWORD, verified=True,
                         role="ecosystem_admin")
        session.commit()
    return "hana@health.example"


def test_admin_segments_the_health_report(page, health_admin):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci` (the .ci/run script does)")
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(health_admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.goto("/admin")
    page.get_by_role("link", name="Ecosystem health").click()
    assert page.get_by_role("heading", name="Ecosystem health", level=1).is_visible()
    assert page.get_by_role("img", name="Who talks to whom, month by month").is_visible()
    page.get_by_label("Segment by").select_option("industry")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="By industry", exact=True).is_visible()
    assert page.get_by_role("img", name="Peer-to-peer share by industry over the whole period").is_visible()
    page.get_by_text("Data table: Who talks to whom, month by month").click()
    assert page.get_by_role("columnheader", name="Peer to peer across companies").is_visible()
    violations = _axe_violations(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
