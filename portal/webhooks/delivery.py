"""Sending due deliveries: claim, sign, send, record; retries with backoff; giving up; auto-disable.

Several processes may send at once (the after-commit thread of each web worker, `portal webhooks
deliver` from cron). A delivery is claimed with a compare-and-set on its `attempts` counter that
also pushes `next_attempt_at` a lease ahead, committed before the (slow) request:
``UPDATE … SET attempts = attempts + 1, next_attempt_at = now + lease WHERE id = :id AND
attempts = :seen AND status = 'pending'``. Only the process whose update hit the row sends it. A
crash during the request leaves the row due again once the lease is over: the receiver may get
the message twice (same `webhook-id`, which is what receivers deduplicate on), never zero times.

Retries: after failed attempt n the next one waits min(RETRY_CAP, RETRY_BASE * 4**(n-1)) seconds,
spread by ±25 % jitter so that deliveries that failed together (an endpoint down for an hour) do
not all come back in the same second: about 1 min, 4 min, 16 min, 1 h, 4 h, 12 h, 12 h — or later
when the endpoint's Retry-After asks for more (at most 12 h). After
WEBHOOKS_MAX_ATTEMPTS (8: about 30 hours) the delivery is failed; "Redeliver" starts it again. A
subscription whose deliveries have failed without a single success for WEBHOOKS_DISABLE_AFTER_DAYS
(5) is disabled, and one that answers 410 Gone at once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import DomainError
from portal.webhooks import sender
from portal.webhooks.addresses import AddressPolicy, Resolver, check_destination, system_resolver
from portal.webhooks.models import (
    ACTIVE,
    DELIVERED,
    DISABLED,
    FAILED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from portal.webhooks.secrets import decrypt_secret

log = logging.getLogger(__name__)

RETRY_BASE = 60.0
RETRY_FACTOR = 4.0
RETRY_CAP = 12 * 3600.0
JITTER = 0.25
LEASE = timedelta(minutes=5)
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_DISABLE_AFTER_DAYS = 5.0
BATCH = 200


def retry_delay(failed_attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `failed_attempts`-th failed attempt (1, 2, …)."""
    nominal = min(RETRY_CAP, RETRY_BASE * RETRY_FACTOR ** max(0, failed_attempts - 1))
    spread = (rng or random).uniform(-JITTER, JITTER)
    return nominal * (1.0 + spread)


@dataclass
class DeliverySettings:
    policy: AddressPolicy
    secret_key: str
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    disable_after: timedelta = timedelta(days=DEFAULT_DISABLE_AFTER_DAYS)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        return cls(policy=AddressPolicy.from_config(config), secret_key=config["SECRET_KEY"],
                   max_attempts=int(config.get("WEBHOOKS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
                   disable_after=timedelta(days=float(config.get("WEBHOOKS_DISABLE_AFTER_DAYS",
                                                                 DEFAULT_DISABLE_AFTER_DAYS))),
                   connect_timeout=float(config.get("WEBHOOKS_CONNECT_TIMEOUT", 5.0)),
                   read_timeout=float(config.get("WEBHOOKS_READ_TIMEOUT", 10.0)))


@dataclass
class RunResult:
    delivered: int = 0
    failed_attempts: int = 0
    gave_up: int = 0


Send = Callable[..., sender.Outcome]


def due_deliveries(session: Session, now: datetime, delivery_ids: Iterable[int] | None = None,
                   limit: int = BATCH) -> list[tuple[int, int]]:
    """(id, attempts) of pending deliveries of active subscriptions that are due, oldest first."""
    stmt = (select(WebhookDelivery.id, WebhookDelivery.attempts)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now,
                   WebhookSubscription.status == ACTIVE)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
    if delivery_ids is not None:
        stmt = stmt.where(WebhookDelivery.id.in_(list(delivery_ids)))
    return [(row.id, row.attempts) for row in session.execute(stmt)]


def claim(session: Session, delivery_id: int, seen_attempts: int, now: datetime) -> bool:
    """Compare-and-set: True for exactly one of the processes that saw `seen_attempts`."""
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.attempts == seen_attempts,
               WebhookDelivery.status == PENDING)
        .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def deliver_due(session: Session, settings: DeliverySettings, *, delivery_ids: Iterable[int] | None = None,
                send: Send = sender.post, resolver: Resolver = system_resolver,
                rng: random.Random | None = None, limit: int = BATCH) -> RunResult:
    """Send every due delivery (or only `delivery_ids` when they are due).

    Owns its transactions: commits after each claim and each result, so give it a session of its
    own (db.new_session(), or a CLI command's session with nothing else pending).
    """
    result = RunResult()
    candidates = due_deliveries(session, utcnow(), delivery_ids, limit)
    session.commit()
    if delivery_ids is None and len(candidates) > 1:
        # Senders running at once (web processes' sweeps, the CLI) read the same due rows: each
        # walks them in its own order, so they rarely race for the same row (a lost claim costs
        # a round trip). Order among due rows does not matter: each message has its own id.
        (rng or random).shuffle(candidates)
    for delivery_id, seen in candidates:
        now = utcnow()
        if not claim(session, delivery_id, seen, now):
            session.commit()
            continue
        delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
        subscription = session.get(WebhookSubscription, delivery.subscription_id, populate_existing=True)
        # The claim is committed before the request, and no transaction stays open during it: it
        # would hold a PostgreSQL connection "idle in transaction" for up to the timeouts, and on
        # SQLite a read snapshot that another sender's commit makes stale cannot become a write
        # transaction (SQLITE_BUSY_SNAPSHOT).
        session.commit()
        outcome = _attempt(delivery, subscription, settings, send, resolver, now)
        trigger = "retry" if seen > 0 else ("redeliver" if delivery.last_attempt_at is not None else "event")
        session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=now, status_code=outcome.status_code,
                                   duration_ms=outcome.duration_ms, error=outcome.error[:500],
                                   response_snippet=outcome.response_snippet[:1000], trigger=trigger))
        _record(delivery, subscription, outcome, settings, now, rng, result)
        try:
            session.commit()
        except OperationalError:
            # The row stays claimed until its lease ends, then goes out again: at least once, never lost.
            session.rollback()
            log.warning("webhook delivery %s: the outcome could not be recorded; it is sent again later",
                        delivery_id, exc_info=True)
    return result


def _attempt(delivery: WebhookDelivery, subscription: WebhookSubscription, settings: DeliverySettings,
             send: Send, resolver: Resolver, now: datetime) -> sender.Outcome:
    try:
        secrets = [decrypt_secret(settings.secret_key, subscription.secret_encrypted)]
        if (subscription.previous_secret_encrypted and subscription.previous_secret_until
                and subscription.previous_secret_until > now):
            secrets.append(decrypt_secret(settings.secret_key, subscription.previous_secret_encrypted))
        # Checked again before every request: the name may resolve elsewhere than when it was saved.
        destination = check_destination(subscription.url, settings.policy, resolver)
    except DomainError as error:
        return sender.Outcome(None, 0, error.message)
    headers = sender.signed_headers(secrets, delivery.message_id, delivery.event_type, delivery.body, now)
    try:
        return send(destination, delivery.body, headers, connect_timeout=settings.connect_timeout,
                    read_timeout=settings.read_timeout)
    except Exception as exc:  # noqa: BLE001 - whatever breaks is one failed attempt, recorded, retried later
        log.exception("webhook delivery %s failed unexpectedly", delivery.id)
        return sender.Outcome(None, 0, f"{type(exc).__name__}: {exc}"[:500])


def _record(delivery: WebhookDelivery, subscription: WebhookSubscription, outcome: sender.Outcome,
            settings: DeliverySettings, now: datetime, rng: random.Random | None, result: RunResult) -> None:
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error[:500]
    if outcome.succeeded:
        delivery.status, delivery.next_attempt_at = DELIVERED, None
        subscription.failing_since = None
        result.delivered += 1
        return
    result.failed_attempts += 1
    if subscription.failing_since is None:
        subscription.failing_since = now
    if outcome.status_code == 410:
        _disable(subscription, "The endpoint answered 410 Gone.")
    elif now - subscription.failing_since >= settings.disable_after:
        days = settings.disable_after.total_seconds() / 86400
        _disable(subscription, f"Every delivery failed for {days:g} days.")
    # A disabled subscription's pending deliveries wait: resuming it sends them.
    if delivery.attempts >= settings.max_attempts:
        delivery.status, delivery.next_attempt_at = FAILED, None
        result.gave_up += 1
    else:
        wait = retry_delay(delivery.attempts, rng)
        if outcome.retry_after is not None:  # the endpoint said when it can take more (429, 503)
            wait = max(wait, min(outcome.retry_after, RETRY_CAP))
        delivery.next_attempt_at = now + timedelta(seconds=wait)


def _disable(subscription: WebhookSubscription, reason: str) -> None:
    if subscription.status != DISABLED:
        log.warning("webhook subscription %s disabled: %s", subscription.id, reason)
    subscription.status = DISABLED
    subscription.disabled_reason = reason
