"""Recommendations on existing pages (the dashboard, profiles) as template helpers.

The home and profile views belong to other features; instead of changing them, their templates
include templates/matching/_people.html, which calls these helpers. Only logged-in members see
recommendations (reasons draw on members-level fields).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from portal.db import db

log = logging.getLogger(__name__)


@dataclass
class Card:
    person_id: int
    name: str
    slug: str
    score: float
    reasons: list[str]
    introduce_url: str | None


def _introduce_url(person_id: int) -> str | None:
    try:
        return url_for("introductions.request_form", person_id=person_id)
    except BuildError:  # introductions not registered in this app
        return None


def _cards(recommendations) -> list[Card]:
    from portal.profiles.graph_export import person_names

    names = person_names(db.session, [r.person_id for r in recommendations])
    return [Card(r.person_id, names[r.person_id][0], names[r.person_id][1], r.score, r.reasons,
                 _introduce_url(r.person_id)) for r in recommendations if r.person_id in names]


def _me():
    from portal.web import current_person

    if not current_user.is_authenticated:
        return None
    return current_person()


def people_to_meet(limit: int = 6) -> list[Card]:
    """For the logged-in member: people to meet, with reasons (empty for visitors)."""
    from portal.matching.services import recommend_people

    me = _me()
    if me is None:
        return []
    try:
        return _cards(recommend_people(db.session, me.id, limit=limit))
    except Exception:  # noqa: BLE001 - a page must not fail because recommendations did
        log.exception("recommendations for person %s failed", me.id)
        return []


def people_like(person, limit: int = 5) -> list[Card]:
    """On someone else's profile: people this person should meet, as the logged-in member may see."""
    from portal.matching.services import similar_people

    me = _me()
    if me is None or person is None:
        return []
    if me.id == person.id:
        return people_to_meet(limit)
    try:
        return _cards(similar_people(db.session, person.id, viewer_person_id=me.id, limit=limit))
    except Exception:  # noqa: BLE001
        log.exception("similar people for person %s failed", person.id)
        return []


def init_app(app: Flask) -> None:
    app.add_template_global(people_to_meet, "people_to_meet")
    app.add_template_global(people_like, "people_like")
