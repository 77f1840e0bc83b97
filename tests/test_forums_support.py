"""Helpers for forum tests (no tests of its own): viewers and a small forum."""

from __future__ import annotations

from portal.forums import services
from portal.profiles.visibility import Viewer


def viewer_of(person, *, admin: bool = False) -> Viewer:
    return Viewer(person_id=person.id, is_member=True, is_ecosystem_admin=admin)


def make_thread(session, category, author, title: str = "Who knows S/4HANA migrations?",
                body: str = "We are *looking* for help.", **kw):
    return services.create_thread(session, category, author.id, title, body, **kw)
