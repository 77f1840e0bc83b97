"""The dashboard's feed: the first page of the logged-in person's feed, for the home page."""

from __future__ import annotations

from flask_login import current_user

from portal.db import db


def my_feed(limit: int = 10):
    """(page, items) of the current person's feed, or None for visitors and accounts without a profile."""
    from portal.feeds.presenting import present
    from portal.feeds.services import personal_feed
    from portal.profiles.visibility import viewer_for
    from portal.web import current_person

    person = current_person()
    if person is None:
        return None
    page = personal_feed(db.session, viewer_for(db.session, current_user, person), limit=limit)
    return page, present(db.session, page.items)


def is_following_target(kind: str, target_id: int) -> bool:
    """For follow buttons on other features' pages: does the logged-in person follow this?"""
    from portal.feeds.services import is_following
    from portal.web import current_person

    person = current_person()
    return person is not None and is_following(db.session, person.id, kind, target_id)
