"""Who may see which profile field: public, members (logged in), or connections.

Every page, search result, export for viewers, recommendation reason and hovercard that
shows a person's fields goes through `visible_fields_for`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.profiles.models import CONNECTIONS, MEMBERS, PRIVATE_FIELDS, PUBLIC, Person


@dataclass(frozen=True)
class Viewer:
    """Who is looking. Anonymous visitors have person_id None and is_member False."""

    person_id: int | None = None
    is_member: bool = False
    is_ecosystem_admin: bool = False
    connection_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls()


def viewer_for(session: Session, user, person: Person | None) -> Viewer:
    """Build the Viewer for a logged-in user (or an anonymous one when user is None)."""
    from portal.profiles.services import connection_ids

    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer.anonymous()
    return Viewer(
        person_id=person.id if person else None,
        is_member=True,
        is_ecosystem_admin=bool(getattr(user, "is_ecosystem_admin", False)),
        connection_ids=frozenset(connection_ids(session, person.id)) if person else frozenset(),
    )


def level_allows(level: str, person_id: int, viewer: Viewer) -> bool:
    """Whether a field at this visibility level of this person shows to the viewer."""
    if viewer.person_id == person_id or viewer.is_ecosystem_admin:
        return True
    if level == PUBLIC:
        return True
    if level == MEMBERS:
        return viewer.is_member
    if level == CONNECTIONS:
        return person_id in viewer.connection_ids
    return False


def visible_fields_for(person: Person, viewer: Viewer) -> set[str]:
    """The private fields of `person` this viewer may see."""
    levels = person.visibility or {}
    return {name for name in PRIVATE_FIELDS if level_allows(levels.get(name, MEMBERS), person.id, viewer)}
