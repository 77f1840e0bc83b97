"""Private messages: one-to-one and small-group conversations with read markers and unread
counts, blocking, abuse reports for the ecosystem admins, rate limits. The conversation of an
accepted introduction is a one-to-one conversation here, linked to its introduction."""

from __future__ import annotations

import os

from flask import Flask

# Flask-Limiter budgets per member on the POST views (portal/messages/views.py), from app config
# or the environment.
RATE_LIMITS = {"RATELIMIT_MESSAGES": "30/minute;600/day", "RATELIMIT_MESSAGE_ACTIONS": "30/minute"}


def init_app(app: Flask) -> None:
    """Check the rate limits once at start-up (a typo would otherwise be a 500 on every send) and
    give profile pages `may_message(person)`."""
    from limits import parse_many

    for key, default in RATE_LIMITS.items():
        value = app.config.get(key) or os.environ.get(key) or default
        try:
            parse_many(value)
        except ValueError:
            raise SystemExit(f"{key}: {value!r} is not a rate limit such as {default!r}") from None
        app.config[key] = value
    app.add_template_global(_may_message_person, "may_message")


def _may_message_person(person) -> bool:
    from portal.db import db
    from portal.messages.services import may_message
    from portal.web import current_person

    me = current_person()
    return me is not None and person is not None and may_message(db.session, me, person)
