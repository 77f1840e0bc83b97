"""Webhook pages over HTTP: a company admin subscribes (secret shown once), pings, reads the log,
redelivers, pauses, deletes; everyone else gets 403 or 404; bad input gives form errors."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from portal.auth.models import User
from portal.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.test_companies_support import login, make_user
from tests.test_partnerships_support import company_with_admin, member_of
from tests.test_webhooks_support import allow_loopback, running_receiver, subscribe


@pytest.fixture(autouse=True)
def _loopback_allowed(app, monkeypatch):
    allow_loopback(app.config, monkeypatch)


@pytest.fixture
def receiver():
    with running_receiver() as server:
        yield server
XSS = '<script>alert("x")</script>'


@pytest.fixture
def world(session):
    alice_user, alice, alpha = company_with_admin(session, "Alpha Hooks")
    dan_user, _ = member_of(session, alpha, "Dan Member")
    bob_user, bob, beta = company_with_admin(session, "Beta Hooks")
    eve_user, _ = make_user(session, role="ecosystem_admin", name="Eve Ecosystem")
    session.commit()
    return {"alice_user": alice_user, "alice": alice, "alpha": alpha, "dan_user": dan_user, "bob_user": bob_user,
            "beta": beta, "eve_user": eve_user}


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_an_admin_subscribes_sees_the_secret_once_pings_and_reads_the_log(client, session, world, receiver):
    login(client, world["alice_user"])
    base = "/companies/alpha-hooks/webhooks"
    form = page(client, base + "/new")
    assert "Document version published" in form and "Partnership started" in form
    response = client.post(base + "/new", data={"url": receiver.url, "description": "Our CRM " + XSS,
                                                "event_types": ["partnership.started", "document.version.published"]})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    secret = re.search(r'id="webhook-secret">(whsec_[A-Za-z0-9+/=]+)<', body).group(1)
    assert "shown only once" in body and XSS not in body and "Our CRM &lt;script&gt;" in body
    subscription = session.scalar(select(WebhookSubscription))
    assert secret not in subscription.secret_encrypted  # stored encrypted
    show_url = f"{base}/{subscription.id}"
    assert secret not in page(client, show_url)  # never shown again

    assert client.post(show_url + "/ping").status_code == 302
    (request,) = receiver.requests
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.ping"
    log = page(client, show_url)
    assert "Ping" in log and "Delivered" in log and "HTTP 200" in log
    delivery = session.scalar(select(WebhookDelivery))
    detail = page(client, f"{show_url}/deliveries/{delivery.id}")
    assert delivery.message_id in detail and "thanks" in detail and "ms" in detail and "First try" in detail

    receiver.answer(500, b"broken " + XSS.encode())
    assert client.post(f"{show_url}/deliveries/{delivery.id}/redeliver").status_code == 302
    detail = page(client, f"{show_url}/deliveries/{delivery.id}")
    assert "Redelivered" in detail and "HTTP 500" in detail and "broken &lt;script&gt;" in detail
    assert "Retrying" in page(client, show_url + "?status=pending")
    assert delivery.message_id not in page(client, show_url + "?status=delivered")
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # a redelivery is the same message

    assert client.post(show_url + "/pause").status_code == 302
    assert "Paused" in page(client, base + "/") and "Resume" in page(client, show_url)
    assert client.post(show_url + "/ping").status_code == 302  # refused with a message, nothing sent
    assert len(receiver.requests) == 2
    assert client.post(show_url + "/resume").status_code == 302

    response = client.post(show_url + "/secret")
    new_secret = re.search(r'id="webhook-secret">(whsec_[A-Za-z0-9+/=]+)<', response.get_data(as_text=True)).group(1)
    assert new_secret != secret and response.headers["Cache-Control"] == "no-store"

    assert client.post(show_url + "/delete").status_code == 302
    assert "No webhooks yet" in page(client, base + "/")
    assert session.scalar(select(WebhookDelivery)) is None


@pytest.mark.parametrize("url, message", [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://10.0.0.8/hook", "private network"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://localhost/hook", "loopback"),
    ("ftp://hooks.example.com/", "must start with"),
    ("", "enter the URL"),
])
def test_forbidden_or_malformed_urls_are_form_errors(client, session, world, app, monkeypatch, url, message):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", "")
    login(client, world["alice_user"])
    response = client.post("/companies/alpha-hooks/webhooks/new",
                           data={"url": url, "event_types": ["partnership.started"]})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert session.scalar(select(WebhookSubscription)) is None


@pytest.mark.parametrize("events, message", [([], "at least one event"), (["no.such"], "Unknown event type")])
def test_event_choices_are_checked(client, session, world, receiver, events, message):
    login(client, world["alice_user"])
    response = client.post("/companies/alpha-hooks/webhooks/new", data={"url": receiver.url, "event_types": events})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_only_the_companys_own_admins_get_in(client, session, world):
    hook, _ = subscribe(session, world["alpha"], "http://127.0.0.1:9/x", ["partnership.started"])
    session.commit()
    base = "/companies/alpha-hooks/webhooks"
    urls = [base + "/", base + "/new", f"{base}/{hook.id}"]
    posts = [f"{base}/{hook.id}/{action}" for action in ("ping", "pause", "delete", "secret")]
    for who in ("dan_user", "bob_user", "eve_user"):  # a plain member, another company's admin, an ecosystem admin
        login(client, world[who])
        for url in urls:
            assert client.get(url).status_code == 403, (who, url)
        for url in posts:
            assert client.post(url).status_code == 403, (who, url)
    login(client, world["bob_user"])  # Beta's admin on Beta's pages: Alpha's webhook does not exist there
    assert client.get(f"/companies/beta-hooks/webhooks/{hook.id}").status_code == 404
    assert client.post(f"/companies/beta-hooks/webhooks/{hook.id}/delete").status_code == 404
    assert client.get("/companies/no-such-company/webhooks/").status_code == 404
    login(client, None)
    assert client.get(base + "/").status_code == 302  # to the login page
    assert session.get(WebhookSubscription, hook.id) is not None


def test_another_subscriptions_delivery_is_404(client, session, world):
    hook, _ = subscribe(session, world["alpha"], "http://127.0.0.1:9/x", ["partnership.started"])
    other, _ = subscribe(session, world["alpha"], "http://127.0.0.1:9/y", ["partnership.started"])
    from portal.webhooks import services

    ping = services.send_ping(session, world["alpha"].id, other.id)
    session.commit()
    login(client, session.get(User, world["alice"].user_id))
    base = "/companies/alpha-hooks/webhooks"
    assert client.get(f"{base}/{hook.id}/deliveries/{ping.id}").status_code == 404
    assert client.post(f"{base}/{hook.id}/deliveries/{ping.id}/redeliver").status_code == 404
    assert client.get(f"{base}/{other.id}/deliveries/{ping.id}").status_code == 200


def test_the_company_page_links_its_admins_to_the_webhooks(client, world):
    login(client, world["alice_user"])
    assert 'href="/companies/alpha-hooks/webhooks/"' in page(client, "/companies/alpha-hooks")
    for who in ("dan_user", "eve_user", "bob_user"):
        login(client, world[who])
        assert "/webhooks/" not in page(client, "/companies/alpha-hooks")


def test_pings_are_rate_limited_per_member(client, session, world, receiver):
    hook, _ = subscribe(session, world["alpha"], receiver.url, ["partnership.started"])
    session.commit()
    login(client, world["alice_user"])
    statuses = [client.post(f"/companies/alpha-hooks/webhooks/{hook.id}/ping").status_code for _ in range(7)]
    assert statuses == [302] * 6 + [429]
    assert len(receiver.requests) == 6


@pytest.mark.parametrize("variable, value, message", [
    ("PORTAL_WEBHOOKS_ALLOW_PRIVATE", "10.0.0.0/33", "'10.0.0.0/33' is not an IP address or network"),
    ("PORTAL_WEBHOOKS_SENDER", "sometimes", "expected one of thread, inline, off"),
    ("PORTAL_WEBHOOKS_MAX_ATTEMPTS", "many", "expected a number"),
    ("RATELIMIT_WEBHOOK_SENDS", "lots", "expected a rate limit"),
])
def test_a_bad_setting_stops_start_up_with_its_name(monkeypatch, tmp_path, variable, value, message):
    from portal import create_app

    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stopped:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "INSTANCE_PATH": str(tmp_path),
                    "SECRET_KEY": "x"})
    assert variable in str(stopped.value) and message in str(stopped.value)


def test_an_admin_edits_the_url_and_events_keeping_the_secret(client, session, world, receiver, app, monkeypatch):
    hook, secret = subscribe(session, world["alpha"], "http://127.0.0.1:9/old", ["partnership.started"])
    session.commit()
    login(client, world["alice_user"])
    edit_url = f"/companies/alpha-hooks/webhooks/{hook.id}/edit"
    form = page(client, edit_url)
    assert 'value="http://127.0.0.1:9/old"' in form and "Save" in form
    response = client.post(edit_url, data={"url": receiver.url, "description": "CRM",
                                           "event_types": ["partnership.ended", "activity.posted"]})
    assert response.status_code == 302
    session.expire_all()
    assert hook.url == receiver.url and hook.event_types == ["activity.posted", "partnership.ended"]
    assert client.post(f"/companies/alpha-hooks/webhooks/{hook.id}/ping").status_code == 302
    (request,) = receiver.requests
    Webhook(secret).verify(request.body, request.headers)  # the same secret signs
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", "")
    response = client.post(edit_url, data={"url": "https://169.254.169.254/", "event_types": ["activity.posted"]})
    assert response.status_code == 400 and "link-local" in response.get_data(as_text=True)
    login(client, world["bob_user"])
    assert client.get(edit_url).status_code == 403
