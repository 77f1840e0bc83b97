"""Flags, the moderation queue, hide/restore, pin/lock/move, suspending members, the audit log.

Ecosystem admins moderate everywhere; group admins moderate their own group. Every moderator
action writes one ModerationAction row in the same transaction as the change itself.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import queue_event, utcnow
from portal.errors import DomainError
from portal.forums.access import can_moderate, can_read, group_ids_of
from portal.forums.models import (
    FLAG_REASONS,
    GROUP_ROLE_ADMIN,
    Category,
    Flag,
    GroupMember,
    ModerationAction,
    Post,
    Thread,
)
from portal.forums.services import post_changed
from portal.profiles.visibility import Viewer
from portal.text import clean_line, clean_text


def log_action(session: Session, actor_id: int | None, action: str, target_type: str, target_id: int,
               detail: dict | None = None) -> ModerationAction:
    entry = ModerationAction(actor_id=actor_id, action=action, target_type=target_type, target_id=target_id,
                             detail=detail or {})
    session.add(entry)
    session.flush()
    return entry


def _category_of_post(session: Session, post: Post) -> tuple[Thread, Category]:
    thread = session.get(Thread, post.thread_id)
    return thread, session.get(Category, thread.category_id)


def _require_moderator(session: Session, category: Category, viewer: Viewer) -> None:
    if not can_moderate(session, category, viewer):
        raise DomainError("Only moderators can do that.")


def flag_post(session: Session, post: Post, viewer: Viewer, reason: str, note: str = "") -> Flag:
    if reason not in FLAG_REASONS:
        raise DomainError("Please choose a reason.", field="reason")
    note = clean_text(note)
    if len(note) > 500:
        raise DomainError("The note can be at most 500 characters.", field="note")
    thread, category = _category_of_post(session, post)
    if viewer.person_id is None or not can_read(session, category, viewer):
        raise DomainError("You cannot flag this post.")
    if post.author_id == viewer.person_id:
        raise DomainError("You cannot flag your own post; edit or delete it instead.")
    flag = session.scalar(select(Flag).where(Flag.post_id == post.id, Flag.reporter_id == viewer.person_id))
    if flag is not None and flag.resolved_at is None:
        raise DomainError("You already flagged this post; a moderator will look at it.")
    if flag is None:
        flag = Flag(post_id=post.id, reporter_id=viewer.person_id, reason=reason, note=note)
        session.add(flag)
    else:  # flagged again after a moderator dismissed the earlier flag
        flag.reason, flag.note, flag.created_at = reason, note, utcnow()
        flag.resolved_at, flag.resolved_by_id, flag.resolution = None, None, ""
    session.flush()
    queue_event(session, "forum.flagged", {"post_id": post.id, "thread_id": thread.id, "flag_id": flag.id})
    return flag


def moderated_group_ids(session: Session, viewer: Viewer) -> set[int] | None:
    """None means every category (ecosystem admin)."""
    if viewer.is_ecosystem_admin:
        return None
    if viewer.person_id is None:
        return set()
    return set(session.scalars(select(GroupMember.group_id).where(
        GroupMember.person_id == viewer.person_id, GroupMember.role == GROUP_ROLE_ADMIN)))


def is_moderator(session: Session, viewer: Viewer) -> bool:
    groups = moderated_group_ids(session, viewer)
    return groups is None or bool(groups)


def moderation_queue(session: Session, viewer: Viewer) -> list[dict]:
    """Open flags this viewer may act on, grouped per post, oldest first."""
    groups = moderated_group_ids(session, viewer)
    stmt = (select(Flag, Post, Thread, Category).join(Post, Post.id == Flag.post_id)
            .join(Thread, Thread.id == Post.thread_id).join(Category, Category.id == Thread.category_id)
            .where(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id))
    if groups is not None:
        if not groups:
            return []
        stmt = stmt.where(Category.group_id.in_(groups))
    items: dict[int, dict] = {}
    for flag, post, thread, category in session.execute(stmt):
        item = items.setdefault(post.id, {"post": post, "thread": thread, "category": category, "flags": []})
        item["flags"].append(flag)
    return list(items.values())


def open_flag_count(session: Session, viewer: Viewer) -> int:
    groups = moderated_group_ids(session, viewer)
    if groups is not None and not groups:
        return 0
    stmt = select(func.count(func.distinct(Flag.post_id))).where(Flag.resolved_at.is_(None))
    if groups is not None:
        stmt = (stmt.join(Post, Post.id == Flag.post_id).join(Thread, Thread.id == Post.thread_id)
                .join(Category, Category.id == Thread.category_id).where(Category.group_id.in_(groups)))
    return session.scalar(stmt) or 0


def _resolve_flags(session: Session, post: Post, viewer: Viewer, resolution: str) -> None:
    for flag in session.scalars(select(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))):
        flag.resolved_at, flag.resolved_by_id, flag.resolution = utcnow(), viewer.person_id, resolution


def hide_post(session: Session, post: Post, viewer: Viewer, reason: str = "") -> None:
    thread, category = _category_of_post(session, post)
    _require_moderator(session, category, viewer)
    reason = clean_line(reason)[:200]
    if post.hidden_at is None:
        post.hidden_at, post.hidden_reason = utcnow(), reason
        if thread.accepted_post_id == post.id:
            thread.accepted_post_id = None
    _resolve_flags(session, post, viewer, "hidden")
    session.flush()
    log_action(session, viewer.person_id, "hide_post", "post", post.id, {"thread_id": thread.id, "reason": reason})
    post_changed(session, post)


def restore_post(session: Session, post: Post, viewer: Viewer) -> None:
    """Undo a hide or a delete."""
    thread, category = _category_of_post(session, post)
    _require_moderator(session, category, viewer)
    post.hidden_at, post.hidden_reason, post.deleted_at = None, "", None
    if post.number == 1:
        thread.deleted_at = None
        queue_event(session, "forum.thread.changed", {"thread_id": thread.id})
    session.flush()
    log_action(session, viewer.person_id, "restore_post", "post", post.id, {"thread_id": thread.id})
    post_changed(session, post)


def dismiss_flags(session: Session, post: Post, viewer: Viewer) -> None:
    thread, category = _category_of_post(session, post)
    _require_moderator(session, category, viewer)
    _resolve_flags(session, post, viewer, "dismissed")
    session.flush()
    log_action(session, viewer.person_id, "dismiss_flags", "post", post.id, {"thread_id": thread.id})


def set_thread_state(session: Session, thread: Thread, viewer: Viewer, *, pinned: bool | None = None,
                     locked: bool | None = None) -> None:
    _require_moderator(session, session.get(Category, thread.category_id), viewer)
    for name, value in (("pinned", pinned), ("locked", locked)):
        if value is not None and getattr(thread, name) != value:
            setattr(thread, name, value)
            action = {"pinned": ("pin", "unpin"), "locked": ("lock", "unlock")}[name][0 if value else 1]
            log_action(session, viewer.person_id, action, "thread", thread.id)
    session.flush()
    queue_event(session, "forum.thread.changed", {"thread_id": thread.id})


def move_thread(session: Session, thread: Thread, target: Category, viewer: Viewer) -> None:
    """Moving needs moderator rights on both ends, so nobody moves a group's thread into the open
    (or someone else's thread into a group) without being allowed to."""
    source = session.get(Category, thread.category_id)
    _require_moderator(session, source, viewer)
    _require_moderator(session, target, viewer)
    if target.id == source.id:
        return
    thread.category_id = target.id
    session.flush()
    log_action(session, viewer.person_id, "move", "thread", thread.id, {"from": source.id, "to": target.id})
    queue_event(session, "forum.thread.changed", {"thread_id": thread.id})


def suspend_member(session: Session, person_id: int, viewer: Viewer, reason: str = "") -> None:
    """Ecosystem admins suspend a member's account (logins stop, sessions end) from the queue."""
    from portal.auth.models import User
    from portal.auth.services import suspend_user
    from portal.profiles.models import Person

    if not viewer.is_ecosystem_admin:
        raise DomainError("Only ecosystem admins can suspend members.")
    person = session.get(Person, person_id)
    if person is None or person.user_id is None:
        raise DomainError("This person has no account to suspend.")
    if person.id == viewer.person_id:
        raise DomainError("You cannot suspend yourself.")
    suspend_user(session, session.get(User, person.user_id))
    log_action(session, viewer.person_id, "suspend", "person", person.id, {"reason": clean_line(reason)[:200]})


def audit_log(session: Session, viewer: Viewer, *, page: int = 1,
              per_page: int = 50) -> tuple[list[ModerationAction], int]:
    """Ecosystem admins see every action; group admins the actions in their groups' threads."""
    stmt = select(ModerationAction)
    groups = moderated_group_ids(session, viewer)
    if groups is not None:
        own = group_ids_of(session, viewer.person_id) & groups
        thread_ids = (select(Thread.id).join(Category, Category.id == Thread.category_id)
                      .where(Category.group_id.in_(own)))
        post_ids = select(Post.id).where(Post.thread_id.in_(thread_ids))
        stmt = stmt.where(((ModerationAction.target_type == "thread") & ModerationAction.target_id.in_(thread_ids))
                          | ((ModerationAction.target_type == "post") & ModerationAction.target_id.in_(post_ids)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return list(rows), total
