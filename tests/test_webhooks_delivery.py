"""Sending: signatures a receiver can verify, retries with backoff, giving up, auto-disable, the
send-time address check and no redirects — against a real HTTP server on loopback."""

from __future__ import annotations

import random
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from portal.db import utcnow
from portal.webhooks import delivery as sending
from portal.webhooks import services
from portal.webhooks.delivery import DeliverySettings, deliver_due, retry_delay
from portal.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.test_partnerships_support import company_with_admin
from tests.test_webhooks_support import TEST_SECRET_KEY, allow_loopback, loopback_policy, running_receiver, subscribe


@pytest.fixture(autouse=True)
def _loopback_allowed(app, monkeypatch):
    """Nothing is sent after commit: each test calls deliver_due itself, as the CLI does."""
    allow_loopback(app.config, monkeypatch, sender="off")


@pytest.fixture
def receiver():
    with running_receiver() as server:
        yield server


def settings(**overrides) -> DeliverySettings:
    return DeliverySettings(**{"policy": loopback_policy(), "secret_key": TEST_SECRET_KEY, "connect_timeout": 2,
                               "read_timeout": 2, **overrides})


@pytest.fixture
def alpha(session):
    _, admin, company = company_with_admin(session, "Alpha Hooks")
    session.commit()
    return company, admin


def ping(session, company, subscription) -> WebhookDelivery:
    """Queue a ping without sending it (the test sends with deliver_due)."""
    found = services.send_ping(session, company.id, subscription.id)
    session.commit()
    return found


def readme_verifier():
    """The verification function printed in README.md ("Outgoing webhooks"), run as written."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.search(r"```python\n(import base64.*?def verify_partnermesh_webhook.*?)```", readme, re.S)
    assert block, "README.md lost its webhook verification snippet"
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_partnermesh_webhook"]


def test_a_delivery_is_signed_so_that_the_standard_library_and_the_readme_recipe_verify_it(session, alpha, receiver):
    company, _ = alpha
    subscription, secret = subscribe(session, company, receiver.url, ["partnership.started"])
    queued = ping(session, company, subscription)
    result = deliver_due(session, settings())
    assert result.delivered == 1
    (request,) = receiver.requests
    assert request.path == "/hooks/partnermesh?source=test"
    assert request.headers["webhook-id"] == queued.message_id
    assert request.headers["partnermesh-event-type"] == "webhook.ping"
    assert request.headers["content-type"] == "application/json"
    payload = Webhook(secret).verify(request.body, request.headers)  # raises when the signature is wrong
    verify = readme_verifier()
    assert payload == verify(secret, request.headers, request.body)
    with pytest.raises(ValueError, match="bad signature"):
        verify(secret, request.headers, request.body.replace(b"test", b"tEst"))
    with pytest.raises(ValueError, match="too old"):
        verify(secret, {**request.headers, "webhook-timestamp": str(int(time.time()) - 3600)}, request.body)
    assert payload["id"] == queued.message_id and payload["type"] == "webhook.ping"
    assert payload["data"]["subscription_id"] == subscription.id and payload["created_at"].endswith("Z")
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(request.body.replace(b"test", b"tEst"), request.headers)  # tampered body
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "QUJD" * 8).verify(request.body, request.headers)  # another secret
    session.expire_all()
    stored = session.get(WebhookDelivery, queued.id)
    assert stored.status == "delivered" and stored.last_status_code == 200 and stored.attempts == 1
    (attempt,) = session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == queued.id)).all()
    assert attempt.status_code == 200 and attempt.response_snippet == "thanks" and attempt.trigger == "event"


def test_after_a_new_secret_both_sign_for_a_day_then_only_the_new_one(session, alpha, receiver):
    company, _ = alpha
    subscription, old_secret = subscribe(session, company, receiver.url, ["partnership.started"])
    new_secret = services.roll_secret(session, company.id, subscription.id, secret_key=TEST_SECRET_KEY)
    ping(session, company, subscription)
    deliver_due(session, settings())
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (old_secret, new_secret):  # receivers on either secret accept it
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.ping"
        assert readme_verifier()(secret, request.headers, request.body)["type"] == "webhook.ping"

    subscription.previous_secret_until = utcnow() - timedelta(seconds=1)
    ping(session, company, subscription)
    deliver_due(session, settings())
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split()) == 1
    assert Webhook(new_secret).verify(request.body, request.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(old_secret).verify(request.body, request.headers)


def test_the_backoff_grows_exponentially_with_bounded_jitter():
    nominal = [60, 240, 960, 3840, 15360, 43200, 43200, 43200]
    rng = random.Random(7)
    for attempt, expected in enumerate(nominal, start=1):
        samples = [retry_delay(attempt, rng) for _ in range(200)]
        assert expected * 0.75 <= min(samples) and max(samples) <= expected * 1.25
        assert max(samples) - min(samples) > expected * 0.3  # really spread, not a constant
    # Eight attempts span about thirty hours.
    assert 25 * 3600 < sum(nominal[:7]) < 32 * 3600


def test_failures_are_retried_on_schedule_then_given_up(session, alpha, receiver):
    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    queued = ping(session, company, subscription)
    receiver.answer(500, b"database down", times=3)
    rng = random.Random(1)
    before = utcnow()
    assert deliver_due(session, settings(max_attempts=3), rng=rng).failed_attempts == 1
    session.expire_all()
    stored = session.get(WebhookDelivery, queued.id)
    assert stored.status == "pending" and stored.attempts == 1 and stored.last_status_code == 500
    wait = (stored.next_attempt_at - before).total_seconds()
    assert 45 <= wait <= 76  # one minute, ±25 %
    assert deliver_due(session, settings(max_attempts=3), rng=rng).failed_attempts == 0  # not due yet

    for expected_status in ("pending", "failed"):
        stored.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.commit()
        deliver_due(session, settings(max_attempts=3), rng=rng)
        session.expire_all()
        stored = session.get(WebhookDelivery, queued.id)
        assert stored.status == expected_status
    assert stored.attempts == 3 and stored.next_attempt_at is None
    attempts = services.attempts_of(session, stored)
    assert [a.trigger for a in attempts] == ["retry", "retry", "event"]
    assert all(a.response_snippet == "database down" for a in attempts)
    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # the same message every time

    services.redeliver(session, company.id, subscription.id, stored.id)
    session.commit()
    assert deliver_due(session, settings()).delivered == 1
    assert services.attempts_of(session, stored)[0].trigger == "redeliver"


def test_a_subscription_failing_for_days_is_disabled_and_410_disables_at_once(session, alpha, receiver):
    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    subscription.failing_since = utcnow() - timedelta(days=6)
    ping(session, company, subscription)
    receiver.answer(503)
    deliver_due(session, settings())
    session.expire_all()
    assert subscription.status == "disabled" and "failed for 5 days" in subscription.disabled_reason
    services.set_paused(session, company.id, subscription.id, False)
    session.commit()
    assert subscription.status == "active" and subscription.failing_since is None
    receiver.answer(410, b"gone")
    deliver_due(session, settings())
    session.expire_all()
    assert subscription.status == "disabled" and "410" in subscription.disabled_reason
    assert services.delivery_log(session, subscription).items[0].status == "pending"  # waits for a resume


def test_redirects_are_not_followed(session, alpha, receiver):
    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    queued = ping(session, company, subscription)
    receiver.answer(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    deliver_due(session, settings())
    assert len(receiver.requests) == 1
    session.expire_all()
    stored = session.get(WebhookDelivery, queued.id)
    assert stored.status == "pending" and stored.last_status_code == 307
    assert "not followed" in stored.last_error


def test_the_address_is_checked_again_at_send_time_and_the_checked_address_is_the_one_connected(
        session, alpha, receiver, monkeypatch):
    company, _ = alpha
    port = receiver.server.server_port
    subscription, _ = subscribe(session, company, f"http://hooks.partner.test:{port}/in", ["partnership.started"],
                                resolver=lambda host, p: ["127.0.0.1"])
    # Saved while the name resolved to loopback (allowed in tests); now it resolves elsewhere.
    queued = ping(session, company, subscription)
    answers = {"now": ["10.9.8.7"]}
    deliver_due(session, settings(), resolver=lambda host, p: answers["now"])
    session.expire_all()
    stored = session.get(WebhookDelivery, queued.id)
    assert stored.status == "pending" and "private network" in stored.last_error and not receiver.requests

    answers["now"] = ["127.0.0.1"]
    stored.next_attempt_at = utcnow()
    session.commit()
    assert deliver_due(session, settings(), resolver=lambda host, p: answers["now"]).delivered == 1
    (request,) = receiver.requests
    assert request.headers["host"] == f"hooks.partner.test:{port}"  # connected to 127.0.0.1, named as the URL


def test_only_one_of_two_senders_claims_a_delivery(session, alpha, receiver):
    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    queued = ping(session, company, subscription)
    now = utcnow()
    assert sending.claim(session, queued.id, 0, now) is True
    assert sending.claim(session, queued.id, 0, now) is False  # the other sender saw attempts == 0 too
    session.commit()
    assert deliver_due(session, settings()).delivered == 0  # leased for a while, not due
    session.expire_all()
    assert session.get(WebhookDelivery, queued.id).next_attempt_at > now + timedelta(minutes=4)


def test_an_endpoint_that_never_answers_times_out(session, alpha):
    import socket

    company, _ = alpha
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        subscription, _ = subscribe(session, company, f"http://127.0.0.1:{silent.getsockname()[1]}/x",
                                    ["partnership.started"])
        queued = ping(session, company, subscription)
        deliver_due(session, settings(read_timeout=0.5))
    finally:
        silent.close()
    session.expire_all()
    stored = session.get(WebhookDelivery, queued.id)
    assert stored.status == "pending" and stored.last_status_code is None
    assert "no answer within 0.5 s" in stored.last_error


def test_the_cli_sends_what_is_due(session, alpha, receiver, runner):
    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    ping(session, company, subscription)
    ping(session, company, subscription)
    result = runner.invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Delivered 2; 0 failed attempt(s)" in result.output and len(receiver.requests) == 2
    assert "Delivered 0" in runner.invoke(args=["webhooks", "deliver"]).output  # nothing twice


def test_prune_deletes_old_finished_deliveries_and_keeps_waiting_ones(session, alpha, receiver, runner):
    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    old_delivered = ping(session, company, subscription)
    deliver_due(session, settings())
    old_waiting = ping(session, company, subscription)
    recent = ping(session, company, subscription)
    for row in (old_delivered, old_waiting):
        session.get(WebhookDelivery, row.id).created_at = utcnow() - timedelta(days=40)
    session.commit()
    gone, kept = old_delivered.id, [old_waiting.id, recent.id]
    result = runner.invoke(args=["webhooks", "prune", "--days", "30"])
    assert result.exit_code == 0 and "Deleted 1 delivery" in result.output, result.output
    session.expunge_all()
    assert session.get(WebhookDelivery, gone) is None
    assert all(session.get(WebhookDelivery, delivery_id) is not None for delivery_id in kept)
    assert session.scalar(select(WebhookAttempt).where(WebhookAttempt.delivery_id == gone)) is None
    assert runner.invoke(args=["webhooks", "prune", "--days", "0"]).exit_code == 2  # a clear usage error


def test_the_sender_thread_sends_after_commit_and_sweeps_due_retries(app, session, alpha, receiver, monkeypatch):
    """The thread shares the test's database connection: the test reads the database only while
    the thread is idle (its queue drained) or stopped."""
    from portal.webhooks.dispatch import sender_thread, stop_sender_thread

    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    session.commit()
    monkeypatch.setitem(app.config, "WEBHOOKS_SENDER", "thread")
    monkeypatch.setitem(app.config, "WEBHOOKS_SWEEP_SECONDS", 600)
    receiver.answer(500)
    try:
        first = ping(session, company, subscription)  # the commit hands it to the thread
        sender_thread(app).requests.join()
        assert len(receiver.requests) == 1
        stored = session.get(WebhookDelivery, first.id, populate_existing=True)
        assert stored.attempts == 1 and stored.status == "pending"
        stored.next_attempt_at = utcnow()  # the retry comes due
        session.commit()
        stop_sender_thread(app)
        monkeypatch.setitem(app.config, "WEBHOOKS_SWEEP_SECONDS", 0.1)
        sender_thread(app)  # a new thread: its first sweep sends the due retry
        wait_for(lambda: len(receiver.requests) == 2)
    finally:
        stop_sender_thread(app)  # never leave a thread on the shared test connection
    assert session.get(WebhookDelivery, first.id, populate_existing=True).status == "delivered"


def wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_an_endpoint_asking_to_retry_later_is_left_alone_that_long(session, alpha, receiver):
    company, _ = alpha
    subscription, _ = subscribe(session, company, receiver.url, ["partnership.started"])
    queued = ping(session, company, subscription)
    receiver.answer(503, b"maintenance", headers={"Retry-After": "3600"})
    before = utcnow()
    deliver_due(session, settings())
    session.expire_all()
    wait = (session.get(WebhookDelivery, queued.id).next_attempt_at - before).total_seconds()
    assert 3590 < wait < 3700  # not the one minute of the schedule
