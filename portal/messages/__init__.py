"""Private messages: one-to-one and small-group conversations with read markers and unread
counts, blocking, abuse reports for the ecosystem admins, rate limits. The conversation of an
accepted introduction is a one-to-one conversation here, linked to its introduction."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Template helper for profile pages: may the logged-in member message this person?"""
    app.add_template_global(_may_message_person, "may_message")


def _may_message_person(person) -> bool:
    from portal.db import db
    from portal.messages.services import may_message
    from portal.web import current_person

    me = current_person()
    return me is not None and person is not None and may_message(db.session, me, person)
