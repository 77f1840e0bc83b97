"""What people do with posts besides writing them: reactions, accepted answers, read markers.

Events: "forum.reaction" {post_id, thread_id, person_id, author_id, kind, added} and
"forum.answer.accepted" {thread_id, post_id, author_id} (the matching graph weighs both).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import queue_event, utcnow
from portal.errors import DomainError
from portal.forums.access import can_moderate, can_read
from portal.forums.models import REACTIONS, Category, Post, Reaction, Thread, ThreadRead
from portal.profiles.visibility import Viewer


def toggle_reaction(session: Session, post: Post, viewer: Viewer, kind: str) -> bool:
    """Add the reaction, or take it back when it is already there. Returns whether it is now on."""
    if kind not in REACTIONS:
        raise DomainError("Unknown reaction.")
    thread = session.get(Thread, post.thread_id)
    if viewer.person_id is None or not can_read(session, session.get(Category, thread.category_id), viewer):
        raise DomainError("You cannot react to this post.")
    if not post.is_visible:
        raise DomainError("This post is no longer visible.")
    existing = session.get(Reaction, (post.id, viewer.person_id, kind))
    if existing is not None:
        session.delete(existing)
    else:
        session.add(Reaction(post_id=post.id, person_id=viewer.person_id, kind=kind))
    session.flush()
    queue_event(session, "forum.reaction", {"post_id": post.id, "thread_id": post.thread_id, "kind": kind,
                                            "person_id": viewer.person_id, "author_id": post.author_id,
                                            "added": existing is None})
    return existing is None


def reaction_summary(session: Session, post_ids: Iterable[int], person_id: int | None) -> dict[int, dict]:
    """Per post: counts per kind and the kinds this person gave."""
    post_ids = list(post_ids)
    counts: dict[int, Counter] = defaultdict(Counter)
    mine: dict[int, set[str]] = defaultdict(set)
    if post_ids:
        for pid, who, kind in session.execute(select(Reaction.post_id, Reaction.person_id, Reaction.kind)
                                              .where(Reaction.post_id.in_(post_ids))):
            counts[pid][kind] += 1
            if who == person_id:
                mine[pid].add(kind)
    return {pid: {"counts": counts[pid], "mine": mine[pid]} for pid in post_ids}


def can_accept(session: Session, thread: Thread, viewer: Viewer) -> bool:
    if viewer.person_id is None or not viewer.is_member:
        return False
    if thread.author_id == viewer.person_id:
        return True
    return can_moderate(session, session.get(Category, thread.category_id), viewer)


def set_accepted_answer(session: Session, thread: Thread, post: Post | None, viewer: Viewer | None) -> None:
    """Mark (or with post None, clear) the accepted answer. `viewer` None is the importer."""
    if viewer is not None and not can_accept(session, thread, viewer):
        raise DomainError("Only the thread's author or a moderator can accept an answer.")
    if post is not None:
        if post.thread_id != thread.id or post.number == 1:
            raise DomainError("Only a reply in this thread can be the accepted answer.")
        if not post.is_visible:
            raise DomainError("A deleted or hidden post cannot be the accepted answer.")
    thread.accepted_post_id = post.id if post else None
    session.flush()
    if post is not None:
        queue_event(session, "forum.answer.accepted",
                    {"thread_id": thread.id, "post_id": post.id, "author_id": post.author_id})


def mark_read(session: Session, person_id: int, thread: Thread, up_to_number: int) -> None:
    """Remember how far the person read; never moves backwards (an old page does not unread)."""
    up_to_number = min(up_to_number, thread.last_number)
    marker = session.get(ThreadRead, (person_id, thread.id))
    if marker is None:
        session.add(ThreadRead(person_id=person_id, thread_id=thread.id, last_read_number=up_to_number))
    elif up_to_number > marker.last_read_number:
        marker.last_read_number = up_to_number
        marker.updated_at = utcnow()
    session.flush()


def read_markers(session: Session, person_id: int | None, thread_ids: Iterable[int]) -> dict[int, int]:
    """thread id → last post number read (threads never opened are absent)."""
    thread_ids = list(thread_ids)
    if person_id is None or not thread_ids:
        return {}
    return dict(session.execute(select(ThreadRead.thread_id, ThreadRead.last_read_number).where(
        ThreadRead.person_id == person_id, ThreadRead.thread_id.in_(thread_ids))).all())


def unread_info(thread: Thread, markers: dict[int, int], person_id: int | None) -> dict:
    """What a listing shows: new (never opened), or how many posts are unread."""
    if person_id is None:
        return {"new": False, "unread": 0}
    if thread.id not in markers:
        return {"new": True, "unread": thread.last_number}
    return {"new": False, "unread": max(0, thread.last_number - markers[thread.id])}
