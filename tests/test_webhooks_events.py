"""Which events become deliveries, for whom, in which transaction — and an end-to-end delivery of a
document version to a real receiver on loopback."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from portal.webhooks import translate
from portal.webhooks.models import WebhookDelivery
from tests.test_partnerships_support import company_with_admin
from tests.test_webhooks_support import allow_loopback, running_receiver, subscribe


@pytest.fixture(autouse=True)
def _loopback_allowed(app, monkeypatch):
    allow_loopback(app.config, monkeypatch)


@pytest.fixture
def receiver():
    with running_receiver() as server:
        yield server


ALL = ["partnership.proposed", "partnership.started", "partnership.declined", "partnership.ended",
       "activity.posted", "document.version.published", "partner.document.version.published"]


@pytest.fixture
def world(session):
    _, alice, alpha = company_with_admin(session, "Alpha Hooks")
    _, bob, beta = company_with_admin(session, "Beta Hooks")
    _, gina, gamma = company_with_admin(session, "Gamma Hooks")
    session.commit()
    return {"alice": alice, "alpha": alpha, "bob": bob, "beta": beta, "gina": gina, "gamma": gamma}


def bodies(session, subscription) -> list[dict]:
    rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
                           .order_by(WebhookDelivery.id))
    return [json.loads(row.body) for row in rows]


def test_partnership_events_reach_both_companies_seen_from_each(session, world, receiver):
    from portal.partnerships import services as partnerships

    alpha_hook, alpha_secret = subscribe(session, world["alpha"], receiver.url, ALL)
    beta_hook, _ = subscribe(session, world["beta"], receiver.url, ["partnership.started"])
    gamma_hook, _ = subscribe(session, world["gamma"], receiver.url, ALL)
    session.commit()
    proposal = partnerships.propose(session, world["alice"], world["beta"].id, "reseller")
    session.commit()
    partnerships.answer(session, world["bob"], proposal.id, True)
    session.commit()

    everything = bodies(session, alpha_hook)
    alpha_got = [b for b in everything if b["type"].startswith("partnership.")]
    assert [b["type"] for b in alpha_got] == ["partnership.proposed", "partnership.started"]
    # Feeds also put the new partnership in Alpha's company feed: that is an "activity.posted".
    assert {b["type"] for b in everything} - {"partnership.proposed", "partnership.started"} <= {"activity.posted"}
    started = alpha_got[1]["data"]
    assert started["partnership"]["id"] == proposal.id and started["partnership"]["proposed_by"] == "us"
    assert started["partner"]["name"] == "Beta Hooks" and started["partner"]["url"].endswith("/companies/beta-hooks")
    (beta_got,) = bodies(session, beta_hook)  # subscribed to "started" only
    assert beta_got["type"] == "partnership.started" and beta_got["data"]["partner"]["name"] == "Alpha Hooks"
    assert beta_got["data"]["partnership"]["proposed_by"] == "partner"
    assert bodies(session, gamma_hook) == []  # not its partnership

    # Sent after each commit (inline in tests): every message arrived, each verifiable.
    assert {r.headers["webhook-id"] for r in receiver.requests} == {b["id"] for b in everything + [beta_got]}
    first = next(r for r in receiver.requests if r.headers["webhook-id"] == alpha_got[0]["id"])
    assert Webhook(alpha_secret).verify(first.body, first.headers)["type"] == "partnership.proposed"


def test_deliveries_are_written_in_the_transaction_of_the_change(session, world, monkeypatch, app):
    from portal.partnerships import services as partnerships

    monkeypatch.setitem(app.config, "WEBHOOKS_SENDER", "off")
    hook, _ = subscribe(session, world["alpha"], "http://127.0.0.1:9/never", ALL)
    session.commit()
    partnerships.propose(session, world["alice"], world["beta"].id, "reseller")
    session.rollback()  # the change is gone: so is its webhook
    assert bodies(session, hook) == []
    partnerships.propose(session, world["alice"], world["beta"].id, "reseller")
    session.commit()
    (delivery,) = session.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == hook.id))
    assert delivery.status == "pending" and delivery.attempts == 0  # waits for the CLI or the next sweep


def test_paused_subscriptions_get_nothing_new(session, world):
    from portal.partnerships import services as partnerships
    from portal.webhooks import services

    hook, _ = subscribe(session, world["alpha"], "http://127.0.0.1:9/never", ALL)
    services.set_paused(session, world["alpha"].id, hook.id, True)
    session.commit()
    partnerships.propose(session, world["alice"], world["beta"].id, "reseller")
    session.commit()
    assert bodies(session, hook) == []


def test_company_feed_activities_are_sent_but_never_private_group_or_audience_ones(session, world):
    from portal.feeds.services import record_activity
    from portal.forums.models import ForumGroup

    hook, _ = subscribe(session, world["alpha"], "http://127.0.0.1:9/never", ["activity.posted"])
    other, _ = subscribe(session, world["beta"], "http://127.0.0.1:9/never", ["activity.posted"])
    group = ForumGroup(name="Secret circle", slug="secret-circle-hooks")
    session.add(group)
    session.flush()
    record_activity(session, verb="status.update", title="Price list v3 published", url="/companies/alpha-hooks",
                    summary="New prices from May", targets=[], company_id=world["alpha"].id,
                    actor_client_id="erp-system")
    record_activity(session, verb="forum.thread", title="Secret plans", url="/forums/t/1", targets=[],
                    company_id=world["alpha"].id, group_id=group.id)
    record_activity(session, verb="connection", title="Alice and Bob connected", url="", targets=[],
                    company_id=world["alpha"].id, audience=[world["alice"].id, world["bob"].id])
    session.commit()
    (sent,) = bodies(session, hook)
    activity = sent["data"]["activity"]
    assert sent["type"] == "activity.posted" and activity["title"] == "Price list v3 published"
    assert activity["url"].startswith("http") and activity["url"].endswith("/companies/alpha-hooks")
    assert activity["actor_client_id"] == "erp-system" and activity["summary"] == "New prices from May"
    assert "Secret" not in json.dumps(bodies(session, hook)) and bodies(session, other) == []


def test_a_document_version_reaches_the_owning_companys_endpoint(session, world, receiver):
    """End to end: publish a version → delivery in the same commit → signed POST to a real server."""
    from portal.documents.services import create_document, publish_version

    hook, secret = subscribe(session, world["alpha"], receiver.url, ["document.version.published"])
    outsider, _ = subscribe(session, world["gamma"], receiver.url, ALL)
    session.commit()
    document = create_document(session, world["alpha"].id, title="Price list", visibility="staff",
                               actor_person=world["alice"])
    publish_version(session, document, actor_person=world["alice"], link="https://files.alpha.example/prices-v1.pdf",
                    note="First prices")
    session.commit()

    (request,) = receiver.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    assert request.headers["partnermesh-event-type"] == "document.version.published"
    assert payload["type"] == "document.version.published"
    data = payload["data"]
    assert data["document"]["title"] == "Price list" and data["document"]["visibility"] == "staff"
    assert data["document"]["url"].endswith(f"/documents/{document.id}")
    assert data["version"]["number"] == 1 and data["version"]["note"] == "First prices"
    assert data["version"]["content"] == {"kind": "link", "url": "https://files.alpha.example/prices-v1.pdf"}
    assert data["version"]["created_by_person_id"] == world["alice"].id
    assert bodies(session, outsider) == []
    (stored,) = session.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == hook.id))
    assert stored.status == "delivered" and stored.message_id == payload["id"]


def test_partners_hear_of_documents_open_to_partners_never_of_staff_only_ones(session, world):
    from portal.documents.services import create_document, publish_version
    from portal.partnerships import services as partnerships

    proposal = partnerships.propose(session, world["alice"], world["beta"].id, "reseller")
    partnerships.answer(session, world["bob"], proposal.id, True)
    partner_hook, _ = subscribe(session, world["beta"], "http://127.0.0.1:9/never",
                                ["partner.document.version.published"])
    own_only, _ = subscribe(session, world["beta"], "http://127.0.0.1:9/never", ["document.version.published"])
    outsider, _ = subscribe(session, world["gamma"], "http://127.0.0.1:9/never", ALL)
    session.commit()
    for title, visibility in (("Reseller price list", "partners"), ("Salaries", "staff")):
        document = create_document(session, world["alpha"].id, title=title, visibility=visibility,
                                   actor_person=world["alice"])
        publish_version(session, document, actor_person=world["alice"], link="https://files.alpha.example/v1")
        session.commit()

    (got,) = bodies(session, partner_hook)
    assert got["type"] == "partner.document.version.published"
    assert got["data"]["document"]["title"] == "Reseller price list"
    assert got["data"]["company"]["name"] == "Alpha Hooks" and got["data"]["company"]["url"].endswith("/alpha-hooks")
    assert bodies(session, own_only) == [] and bodies(session, outsider) == []
    assert "Salaries" not in json.dumps(bodies(session, partner_hook))


def test_a_broken_translation_never_fails_the_change(session, world, monkeypatch, caplog):
    from portal.partnerships import services as partnerships
    from portal.partnerships.models import Partnership

    hook, _ = subscribe(session, world["alpha"], "http://127.0.0.1:9/never", ALL)
    session.commit()

    def broken(*_args):
        raise RuntimeError("bug in a translator")

    monkeypatch.setitem(translate.TRANSLATORS, "partnership.changed",
                        translate.TRANSLATORS["partnership.changed"].__class__(
                            companies=translate.TRANSLATORS["partnership.changed"].companies, build=broken,
                            types=translate.TRANSLATORS["partnership.changed"].types))
    with caplog.at_level(logging.ERROR, logger="portal.webhooks.capture"):
        proposal = partnerships.propose(session, world["alice"], world["beta"].id, "reseller")
        session.commit()
    assert session.get(Partnership, proposal.id) is not None
    assert "could not be recorded" in caplog.text
    assert session.scalar(select(func.count()).select_from(WebhookDelivery)
                          .where(WebhookDelivery.subscription_id == hook.id)) == 0
