"""Turning domain events into deliveries, inside the transaction that caused them.

Why here and not in an after-commit handler: the deliveries are an outbox, like mail
(portal/mail). Written in the same transaction as the change, they exist exactly when the
change exists — a process that dies right after the commit, or an after-commit handler that
fails, loses no webhook, and a rolled-back change sends none. An after-commit handler would
need its own transaction, and nothing would remember the event if the process stopped between
the two commits.

How: a `before_commit` listener on the app's session factory reads the events that services
queued for after the commit (portal.db.queue_event), builds one message per subscribing company
(reading through the owning packages' services, seen from that company) and adds a delivery
per matching subscription. Its reads run in a SAVEPOINT: if anything in them fails, the webhooks
of that commit are logged and dropped and the change itself still commits — a bug here never
costs a user their post or their partnership. Once the commit is done, "webhook.queued" hands
the new deliveries to the sender (portal.webhooks.dispatch).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import pending_events, queue_event, utcnow
from portal.webhooks import translate
from portal.webhooks.models import ACTIVE, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)


def message_body(message_id: str, event_type: str, data: dict, created_at: datetime) -> str:
    """The JSON body every receiver gets: id, type, created_at, data."""
    return json.dumps({"id": message_id, "type": event_type,
                       "created_at": created_at.isoformat().replace("+00:00", "Z"), "data": data},
                      separators=(",", ":"), ensure_ascii=False)


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def add_delivery(session: Session, subscription_id: int, event_type: str, data: dict) -> WebhookDelivery:
    now = utcnow()
    message_id = new_message_id()
    delivery = WebhookDelivery(subscription_id=subscription_id, message_id=message_id, event_type=event_type,
                               body=message_body(message_id, event_type, data, now), created_at=now,
                               next_attempt_at=now)
    session.add(delivery)
    return delivery


def queue_sending(session: Session, deliveries: list[WebhookDelivery]) -> None:
    """Hand new deliveries to the sender once the transaction commits."""
    session.flush()
    if deliveries:
        queue_event(session, "webhook.queued", {"delivery_ids": [d.id for d in deliveries]})


def owed_messages(session: Session, app: Flask, queued: list[tuple[str, dict]]) -> list[tuple[int, str, dict]]:
    """(subscription id, event type, data) of every message owed for the `queued` events (name,
    payload). Only reads."""
    concerned = [(name, payload, list(translate.TRANSLATORS[name].companies(session, payload)))
                 for name, payload in queued if name in translate.TRANSLATORS]
    interested = {company_id for _, _, company_ids in concerned for company_id in company_ids}
    if not interested:
        return []
    subscriptions: dict[int, list[WebhookSubscription]] = {}
    for subscription in session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.company_id.in_(interested), WebhookSubscription.status == ACTIVE)
            .order_by(WebhookSubscription.id)):
        subscriptions.setdefault(subscription.company_id, []).append(subscription)
    if not subscriptions:
        return []  # the usual case: nobody listens, one indexed query spent
    links = translate.Links(app)
    owed = []
    for name, payload, company_ids in concerned:
        translator = translate.TRANSLATORS[name]
        for company_id in company_ids:
            wanted = [s for s in subscriptions.get(company_id, ()) if translator.may_match(payload, s.event_types)]
            if not wanted:
                continue
            message = translator.build(session, payload, company_id, links)
            if message is None:
                continue
            event_type, data = message
            owed += [(s.id, event_type, data) for s in wanted if event_type in s.event_types]
    return owed


def record_deliveries(session: Session, app: Flask, queued: list[tuple[str, dict]]) -> int:
    """Add the deliveries owed for `queued` events; returns how many.

    The reads run in a SAVEPOINT of the connection (not Session.begin_nested, whose release fires
    the session's after_commit and so would publish the transaction's events before its commit):
    if they fail — on PostgreSQL a failed statement spoils the whole transaction — the savepoint
    is rolled back, the failure logged, and the change commits without its webhooks.
    """
    savepoint = session.connection().begin_nested()
    try:
        owed = owed_messages(session, app, queued)
    except Exception:  # noqa: BLE001 - a webhook bug must never make the user's change fail
        savepoint.rollback()
        log.exception("webhooks: deliveries for this commit could not be recorded; the change commits "
                      "without them")
        return 0
    savepoint.commit()
    deliveries = [add_delivery(session, subscription_id, event_type, data)
                  for subscription_id, event_type, data in owed]
    queue_sending(session, deliveries)
    return len(deliveries)


_DONE, _BUSY = "webhooks_recorded_upto", "webhooks_recording"


def attach(app: Flask, factory) -> Callable[[Session], None]:
    """Listen on `factory`'s sessions: record deliveries just before each commit.

    SQLAlchemy fires before_commit for SAVEPOINT releases too (and once per level when the
    outermost commit releases open savepoints), so the events already handled in this
    transaction are remembered by their position in the queue.
    """
    from sqlalchemy import event

    def before_commit(session: Session) -> None:
        pending = pending_events(session)
        start = session.info.get(_DONE, 0)
        if session.info.get(_BUSY) or not any(name in translate.TRANSLATORS for name, _ in pending[start:]):
            return
        session.flush()  # the change's own flush errors belong to the change, not to webhooks
        session.info[_BUSY] = True
        try:
            record_deliveries(session, app, pending[start:])
        finally:
            session.info.pop(_BUSY, None)
            session.info[_DONE] = len(pending_events(session))

    def forget(session: Session, *_args) -> None:
        session.info.pop(_DONE, None)

    def forget_after_rollback(session: Session, previous_transaction) -> None:
        if not previous_transaction.nested:
            session.info.pop(_DONE, None)

    event.listen(factory, "before_commit", before_commit)
    event.listen(factory, "after_commit", forget)
    event.listen(factory, "after_soft_rollback", forget_after_rollback)
    return before_commit
