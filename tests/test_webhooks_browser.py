"""A company admin sets up a webhook in headless Chromium against a real receiver on loopback:
company page → Webhooks → add (the secret is shown once) → Send a ping → the log says Delivered.
The live server sends with its background thread, as production does."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook

from portal.auth.services import register_account
from portal.db import db
from portal.profiles.services import person_by_email
from tests.test_companies_support import make_company
from tests.test_webhooks_support import LOOPBACK, running_receiver

pytestmark = pytest.mark.browser

PASSWORD = "a-long-webhooks-password"
EMAIL = "wanda@hooks.example"


@pytest.fixture(scope="module")
def company_slug(live_server):
    from portal.webhooks.dispatch import stop_sender_thread

    config = live_server.app.config
    saved = {name: config[name] for name in ("WEBHOOKS_ALLOW_PRIVATE", "WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_SENDER")}
    config.update(WEBHOOKS_ALLOW_PRIVATE=LOOPBACK, WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_SENDER="thread")
    with live_server.app.app_context():
        session = db.session
        register_account(session, "Wanda Hooks", EMAIL, PASSWORD, verified=True)
        company = make_company(session, person_by_email(session, EMAIL), "Wanda Hooks Integration")
        session.commit()
        slug = company.slug
    yield slug
    stop_sender_thread(live_server.app)
    config.update(saved)


def test_an_admin_adds_a_webhook_and_pings_it(page, company_slug):
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    with running_receiver() as receiver:
        page.goto(f"/companies/{company_slug}")
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name="Add a webhook").click()
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Partnership started").check()
        page.get_by_role("button", name="Add webhook").click()
        page.wait_for_load_state()
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        assert page.get_by_text("it is shown only once").is_visible()

        page.get_by_role("button", name="Send a ping").click()
        page.wait_for_load_state()
        deadline = time.monotonic() + 10
        while not receiver.requests:
            assert time.monotonic() < deadline, "the ping never arrived"
            time.sleep(0.05)
        request = receiver.requests[0]
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.ping"
        log = page.get_by_role("table", name="Deliveries, newest first")
        while True:  # the sender thread records the answer right after the receiver has it
            page.reload()
            if log.get_by_text("Delivered").count():
                break
            assert time.monotonic() < deadline, "the log never showed the delivery"
            time.sleep(0.1)
        assert log.get_by_text("HTTP 200").is_visible()
        assert secret not in page.content()  # shown once only
