"""Subscriptions and the delivery log, for a company's admins. Services flush, never commit.

Every function takes the company the page is about and checks that the subscription or delivery
belongs to it (NotFound otherwise: another company's webhooks do not exist for you).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.pagination import Page, paginate
from portal.text import clean_line
from portal.webhooks.addresses import AddressPolicy, Resolver, check_destination, system_resolver
from portal.webhooks.capture import add_delivery, queue_sending
from portal.webhooks.catalogue import EVENT_TYPES, PING
from portal.webhooks.models import (
    ACTIVE,
    DELIVERED,
    FAILED,
    PAUSED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from portal.webhooks.secrets import encrypt_secret, new_secret

DESCRIPTION_MAX = 200
MAX_SUBSCRIPTIONS = 20  # per company: each event fans out to every one of them
ROTATION_OVERLAP = timedelta(hours=24)  # the old secret keeps signing this long after a new one


@dataclass
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once


def _event_types(chosen: Iterable[str]) -> list[str]:
    names = sorted({name for name in chosen if name})
    unknown = [name for name in names if name not in EVENT_TYPES]
    if unknown:
        raise DomainError(f"Unknown event type: {', '.join(unknown)}.", field="event_types")
    if not names:
        raise DomainError("Please choose at least one event.", field="event_types")
    return names


def _description(text: str) -> str:
    description = clean_line(text or "")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(f"The description can be at most {DESCRIPTION_MAX} characters.", field="description")
    return description


def create_subscription(session: Session, company_id: int, *, url: str, event_types: Iterable[str],
                        description: str = "", actor_person_id: int | None = None, secret_key: str,
                        policy: AddressPolicy, resolver: Resolver = system_resolver) -> NewSubscription:
    """Check the URL (form, then every address its host resolves to) and save the subscription
    with a new signing secret, returned in plain text this once."""
    names = _event_types(event_types)
    description = _description(description)
    count = session.scalar(select(func.count()).select_from(WebhookSubscription)
                           .where(WebhookSubscription.company_id == company_id)) or 0
    if count >= MAX_SUBSCRIPTIONS:
        raise DomainError(f"A company can have at most {MAX_SUBSCRIPTIONS} webhooks: delete one first.")
    check_destination(url, policy, resolver)
    secret = new_secret()
    subscription = WebhookSubscription(company_id=company_id, url=url.strip(), event_types=names,
                                       description=description, secret_encrypted=encrypt_secret(secret_key, secret),
                                       status=ACTIVE, created_by_person_id=actor_person_id)
    session.add(subscription)
    session.flush()
    return NewSubscription(subscription, secret)


def update_subscription(session: Session, company_id: int, subscription_id: int, *, url: str,
                        event_types: Iterable[str], description: str = "", policy: AddressPolicy,
                        resolver: Resolver = system_resolver) -> WebhookSubscription:
    """Change the endpoint's URL (checked like a new one), events or description; the secret and
    the delivery log stay. Waiting deliveries go to the new URL."""
    subscription = subscription_of(session, company_id, subscription_id)
    names = _event_types(event_types)
    description = _description(description)
    if url.strip() != subscription.url:
        check_destination(url, policy, resolver)
    subscription.url, subscription.event_types, subscription.description = url.strip(), names, description
    session.flush()
    return subscription


def subscriptions_of(session: Session, company_id: int) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.company_id == company_id)
                                .order_by(WebhookSubscription.created_at, WebhookSubscription.id)))


def subscription_of(session: Session, company_id: int, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.company_id != company_id:
        raise NotFound("There is no such webhook.")
    return subscription


def set_paused(session: Session, company_id: int, subscription_id: int, paused: bool) -> WebhookSubscription:
    """Pause (no new deliveries are made, pending ones wait) or resume (also after the portal
    disabled it): waiting deliveries go out again, starting now."""
    subscription = subscription_of(session, company_id, subscription_id)
    if paused:
        subscription.status = PAUSED
    else:
        subscription.status, subscription.disabled_reason, subscription.failing_since = ACTIVE, "", None
        now = utcnow()
        waiting = list(session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.status == PENDING)))
        for delivery in waiting:
            delivery.next_attempt_at = now
        queue_sending(session, waiting)
    session.flush()
    return subscription


def roll_secret(session: Session, company_id: int, subscription_id: int, *, secret_key: str) -> str:
    """Replace the signing secret; the new one is returned (shown once) and signs from now on,
    the old one as well for ROTATION_OVERLAP (messages carry both signatures meanwhile)."""
    subscription = subscription_of(session, company_id, subscription_id)
    secret = new_secret()
    subscription.previous_secret_encrypted = subscription.secret_encrypted
    subscription.previous_secret_until = utcnow() + ROTATION_OVERLAP
    subscription.secret_encrypted = encrypt_secret(secret_key, secret)
    session.flush()
    return secret


def delete_subscription(session: Session, company_id: int, subscription_id: int) -> None:
    """Delete the subscription with its deliveries and their log."""
    subscription = subscription_of(session, company_id, subscription_id)
    delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == subscription.id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
    session.delete(subscription)
    session.flush()


def send_ping(session: Session, company_id: int, subscription_id: int) -> WebhookDelivery:
    """Queue a "webhook.ping" message (sent after commit like any other) to test the endpoint."""
    subscription = subscription_of(session, company_id, subscription_id)
    if subscription.status != ACTIVE:
        raise DomainError("Resume the webhook before sending a ping.")
    delivery = add_delivery(session, subscription.id, PING, {
        "subscription_id": subscription.id, "event_types": list(subscription.event_types),
        "message": "This is a test message sent from PartnerMesh."})
    queue_sending(session, [delivery])
    return delivery


def delivery_of(session: Session, company_id: int, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    subscription = subscription_of(session, company_id, subscription_id)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFound("There is no such delivery.")
    return delivery


def redeliver(session: Session, company_id: int, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now (the same message id, a fresh timestamp and signature), with a
    full set of retries."""
    delivery = delivery_of(session, company_id, subscription_id, delivery_id)
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    if subscription.status != ACTIVE:
        raise DomainError("Resume the webhook before redelivering.")
    if delivery.status == PENDING and delivery.attempts == 0:
        raise DomainError("This delivery has not been tried yet: it goes out shortly.")
    delivery.status, delivery.attempts, delivery.next_attempt_at = PENDING, 0, utcnow()
    queue_sending(session, [delivery])
    return delivery


LOG_FILTERS = {"": "All", PENDING: "Waiting", DELIVERED: "Delivered", FAILED: "Failed"}


def delivery_log(session: Session, subscription: WebhookSubscription, *, status: str = "", page: int = 1,
                 per_page: int = 50) -> Page[WebhookDelivery]:
    """The subscription's deliveries, newest first, optionally only those with `status`."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status in (PENDING, DELIVERED, FAILED):
        stmt = stmt.where(WebhookDelivery.status == status)
    return paginate(session, stmt.order_by(WebhookDelivery.id.desc()), page, per_page)


def attempts_of(session: Session, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    """Every request made for a delivery, newest first."""
    return list(session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
                                .order_by(WebhookAttempt.id.desc())))


def prune_deliveries(session: Session, older_than: datetime) -> int:
    """Delete delivered and failed deliveries created before `older_than`, with their attempts;
    waiting ones stay whatever their age. Returns how many deliveries went."""
    finished = select(WebhookDelivery.id).where(WebhookDelivery.status.in_((DELIVERED, FAILED)),
                                                WebhookDelivery.created_at < older_than)
    ids = list(session.scalars(finished))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(chunk)))
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(chunk)))
    session.flush()
    return len(ids)


def status_counts(session: Session, subscription_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per subscription: how many deliveries are waiting, delivered and failed."""
    counts: dict[int, dict[str, int]] = {i: {PENDING: 0, DELIVERED: 0, FAILED: 0} for i in subscription_ids}
    if subscription_ids:
        for sub_id, status, n in session.execute(
                select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
                .where(WebhookDelivery.subscription_id.in_(subscription_ids))
                .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)):
            counts[sub_id][status] = n
    return counts

