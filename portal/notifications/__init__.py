"""In-app and mail notifications: mentions, replies, introduction proposals, messages and new
document versions, with per-kind preferences, a daily digest and one-click unsubscribe."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Give every template the logged-in person's unread count (the nav badge)."""
    app.context_processor(_unread_context)


def _unread_context() -> dict:
    from flask_login import current_user

    if not current_user.is_authenticated:
        return {"unread_notifications_count": None}
    from portal.db import db
    from portal.notifications.services import unread_count
    from portal.web import current_person

    person = current_person()
    return {"unread_notifications_count": unread_count(db.session, person.id) if person is not None else None}
