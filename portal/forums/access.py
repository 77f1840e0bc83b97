"""Who may read, write and moderate where.

Every feature that shows forum content (search, tag clouds, hovercards, feeds) filters by
*scopes*: a category's scope is "public", "members" or "group:<id>", and a viewer holds the
scopes they may read. `viewer_scopes` is the one place that decides it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.forums.models import GROUP, GROUP_ROLE_ADMIN, MEMBERS, PUBLIC, Category, GroupMember
from portal.profiles.visibility import Viewer

SCOPE_PUBLIC, SCOPE_MEMBERS = "public", "members"


def category_scope(category: Category) -> str:
    if category.visibility == GROUP and category.group_id is not None:
        return f"group:{category.group_id}"
    return SCOPE_MEMBERS if category.visibility == MEMBERS else SCOPE_PUBLIC


def group_ids_of(session: Session, person_id: int | None) -> set[int]:
    if person_id is None:
        return set()
    return set(session.scalars(select(GroupMember.group_id).where(GroupMember.person_id == person_id)))


def viewer_scopes(session: Session, viewer: Viewer) -> frozenset[str]:
    """The scopes whose content this viewer may read. Ecosystem admins read every group."""
    scopes = {SCOPE_PUBLIC}
    if viewer.is_member:
        scopes.add(SCOPE_MEMBERS)
    if viewer.is_ecosystem_admin:
        group_ids = set(session.scalars(select(Category.group_id).where(Category.group_id.is_not(None))))
    else:
        group_ids = group_ids_of(session, viewer.person_id)
    scopes.update(f"group:{gid}" for gid in group_ids)
    return frozenset(scopes)


def can_read(session: Session, category: Category, viewer: Viewer) -> bool:
    if category.visibility == PUBLIC:
        return True
    if not viewer.is_member:
        return False
    if category.visibility == MEMBERS or viewer.is_ecosystem_admin:
        return True
    return category.group_id in group_ids_of(session, viewer.person_id)


def can_post(session: Session, category: Category, viewer: Viewer) -> bool:
    """Members with a profile write in every category they can read."""
    return viewer.is_member and viewer.person_id is not None and can_read(session, category, viewer)


def is_group_admin(session: Session, group_id: int | None, person_id: int | None) -> bool:
    if group_id is None or person_id is None:
        return False
    role = session.scalar(select(GroupMember.role).where(
        GroupMember.group_id == group_id, GroupMember.person_id == person_id))
    return role == GROUP_ROLE_ADMIN


def can_moderate(session: Session, category: Category, viewer: Viewer) -> bool:
    """Ecosystem admins moderate everywhere; group admins moderate their group."""
    if viewer.is_ecosystem_admin:
        return True
    return is_group_admin(session, category.group_id, viewer.person_id)


def readable_category_ids(session: Session, viewer: Viewer) -> list[int]:
    scopes = viewer_scopes(session, viewer)
    return [c.id for c in session.scalars(select(Category)) if category_scope(c) in scopes]
