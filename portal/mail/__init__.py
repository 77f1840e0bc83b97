"""The durable outbox and its delivery."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context

from portal import events


def init_app(app: Flask) -> None:
    """Deliver each queued message right after the transaction that queued it commits.

    The handler is one module-level function (subscribed once per process, whatever the number
    of apps) and works with the app whose context is active when the event fires.
    Set MAIL_DELIVER_AFTER_COMMIT=False to leave delivery to `portal mail send`.
    """
    app.config.setdefault("MAIL_DELIVER_AFTER_COMMIT", True)
    events.subscribe("mail.queued", deliver_after_commit)


def deliver_after_commit(payload: dict) -> None:
    if not has_app_context():
        return  # no app to take settings from; `portal mail send` picks it up
    app = current_app._get_current_object()
    if "portal_db" not in app.extensions or not app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return
    from portal.db import db
    from portal.mail.delivery import deliver_pending

    session = db.new_session(writes=True)
    try:
        deliver_pending(session, app.config, message_ids=[payload["message_id"]])
    finally:
        session.close()
