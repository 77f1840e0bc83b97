"""What forum pages show: the forum index, a category's threads, one page of a thread.

Each function does a fixed number of queries whatever the page size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.companies.services import company_summaries
from portal.forums.access import can_moderate, can_post, category_scope, group_ids_of, viewer_scopes
from portal.forums.activity import can_accept, reaction_summary, read_markers, unread_info
from portal.forums.models import Category, ForumGroup, Post, Thread
from portal.forums.services import POSTS_PER_PAGE, can_edit, category_threads, thread_posts_page, thread_tags
from portal.profiles.models import Person
from portal.profiles.services import persons_by_ids
from portal.profiles.visibility import Viewer


def readable_categories(session: Session, viewer: Viewer) -> list[Category]:
    scopes = viewer_scopes(session, viewer)
    categories = session.scalars(select(Category).order_by(Category.position, Category.id))
    return [c for c in categories if category_scope(c) in scopes]


def forum_index(session: Session, viewer: Viewer) -> dict:
    """Open categories and the viewer's groups, each with its thread count and latest thread."""
    categories = readable_categories(session, viewer)
    ids = [c.id for c in categories]
    counts = dict(session.execute(
        select(Thread.category_id, func.count()).where(Thread.category_id.in_(ids), Thread.deleted_at.is_(None))
        .group_by(Thread.category_id)).all()) if ids else {}
    latest_ids = session.execute(
        select(Thread.category_id, func.max(Thread.last_post_at)).where(
            Thread.category_id.in_(ids), Thread.deleted_at.is_(None)).group_by(Thread.category_id)).all() if ids else []
    latest: dict[int, Thread] = {}
    for category_id, when in latest_ids:
        latest[category_id] = session.scalars(select(Thread).where(
            Thread.category_id == category_id, Thread.last_post_at == when,
            Thread.deleted_at.is_(None)).limit(1)).first()
    rows = [{"category": c, "threads": counts.get(c.id, 0), "latest": latest.get(c.id)} for c in categories]
    my_groups = group_ids_of(session, viewer.person_id)
    return {
        "categories": [r for r in rows if r["category"].group_id is None],
        "groups": [r for r in rows if r["category"].group_id is not None],
        "my_group_ids": my_groups,
    }


@dataclass
class ThreadRow:
    thread: Thread
    author: Person | None
    tags: list
    new: bool = False
    unread: int = 0


def category_listing(session: Session, category: Category, viewer: Viewer, page: int,
                     per_page: int = 30) -> tuple[list[ThreadRow], int]:
    threads, total = category_threads(session, category, page=page, per_page=per_page)
    return thread_rows(session, threads, viewer), total


def thread_rows(session: Session, threads: list[Thread], viewer: Viewer) -> list[ThreadRow]:
    """Listing rows with authors, tags and unread state, in four queries for the whole list."""
    authors = persons_by_ids(session, [t.author_id for t in threads])
    tags = thread_tags(session, [t.id for t in threads])
    markers = read_markers(session, viewer.person_id, [t.id for t in threads])
    rows = []
    for t in threads:
        info = unread_info(t, markers, viewer.person_id)
        rows.append(ThreadRow(t, authors.get(t.author_id), tags[t.id], info["new"], info["unread"]))
    return rows


@dataclass
class ThreadPage:
    thread: Thread
    category: Category
    group: ForumGroup | None
    posts: list[Post]
    authors: dict[int, Person]
    companies: dict[int, tuple[str, str]]
    reactions: dict[int, dict]
    tags: list
    page: int
    pages: int
    first_unread: int | None
    can_reply: bool
    can_moderate: bool
    can_accept: bool
    editable: set[int] = field(default_factory=set)
    replied_to: dict[int, Post] = field(default_factory=dict)


def thread_page(session: Session, thread: Thread, viewer: Viewer, page: int) -> ThreadPage:
    category = session.get(Category, thread.category_id)
    pages = max(1, (thread.last_number + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE)
    page = min(max(page, 1), pages)
    posts = thread_posts_page(session, thread, page)
    authors = persons_by_ids(session, [p.author_id for p in posts])
    companies = company_summaries(session, [a.company_id for a in authors.values()
                                            if a.company_id and a.membership_status == "active"])
    marker = read_markers(session, viewer.person_id, [thread.id]).get(thread.id)
    first_unread = None
    if viewer.person_id is not None and marker is not None and marker < thread.last_number:
        first_unread = marker + 1
    moderates = can_moderate(session, category, viewer)
    reply_targets = {p.reply_to_id for p in posts if p.reply_to_id} - {p.id for p in posts}
    replied_to = {p.id: p for p in posts}
    if reply_targets:
        replied_to.update({p.id: p for p in session.scalars(select(Post).where(Post.id.in_(reply_targets)))})
        authors.update(persons_by_ids(session, [p.author_id for p in replied_to.values()
                                                if p.author_id not in authors]))
    return ThreadPage(
        thread=thread, category=category,
        group=session.get(ForumGroup, category.group_id) if category.group_id else None,
        posts=posts, authors=authors, companies=companies,
        reactions=reaction_summary(session, [p.id for p in posts], viewer.person_id),
        tags=thread_tags(session, [thread.id])[thread.id], page=page, pages=pages, first_unread=first_unread,
        can_reply=can_post(session, category, viewer) and thread.deleted_at is None
        and (not thread.locked or moderates),
        can_moderate=moderates, can_accept=can_accept(session, thread, viewer),
        editable={p.id for p in posts if viewer.person_id is not None and (moderates or (
            p.author_id == viewer.person_id and p.deleted_at is None and not thread.locked))},
        replied_to=replied_to,
    )


def post_is_readable(session: Session, post: Post, viewer: Viewer) -> bool:
    from portal.forums.access import can_read

    thread = session.get(Thread, post.thread_id)
    return can_read(session, session.get(Category, thread.category_id), viewer)


__all__ = ["forum_index", "category_listing", "thread_page", "readable_categories", "can_edit", "post_is_readable"]


def recent_threads(session: Session, viewer: Viewer, limit: int = 6) -> list[ThreadRow]:
    """The threads with the latest activity that this viewer may read (home page)."""
    ids = [c.id for c in readable_categories(session, viewer)]
    if not ids:
        return []
    threads = list(session.scalars(select(Thread).where(Thread.category_id.in_(ids), Thread.deleted_at.is_(None))
                                   .order_by(Thread.last_post_at.desc(), Thread.id.desc()).limit(limit)))
    return thread_rows(session, threads, viewer)


def recent_posts_by(session: Session, person_id: int, viewer: Viewer, limit: int = 5) -> list[tuple[Post, Thread]]:
    """A person's latest visible posts in categories this viewer may read (profile page)."""
    ids = [c.id for c in readable_categories(session, viewer)]
    if not ids:
        return []
    rows = session.execute(
        select(Post, Thread).join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == person_id, Post.deleted_at.is_(None), Post.hidden_at.is_(None),
               Thread.deleted_at.is_(None), Thread.category_id.in_(ids))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(limit))
    return [(post, thread) for post, thread in rows]
