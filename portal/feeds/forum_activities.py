"""Forum events as activities: a new thread, a reply, an accepted answer.

An activity takes its category's audience: public categories are visible to visitors, members'
categories to members, a private group's only to its members (`group_id`). When a post is
deleted or hidden, or a thread is deleted or moved to another category, the activities about it
follow (hidden, or given the new audience): they are shown by the same rules as the posts.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.feeds.services import ActivitySpec

SUMMARY_CHARS = 280


def _audience(category) -> tuple[int | None, bool]:
    """(group_id, members_only) of what is written in this category."""
    from portal.forums.access import SCOPE_PUBLIC, category_scope

    scope = category_scope(category)
    if scope.startswith("group:"):
        return category.group_id, True
    return None, scope != SCOPE_PUBLIC


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[:SUMMARY_CHARS - 1].rstrip() + "…"


def _load(session: Session, post_ids: Iterable[int]):
    """post id → (post, thread, category) for the given posts, in three queries."""
    from portal.feeds.activities import chunks
    from portal.forums.models import Category, Post, Thread

    post_ids = sorted(set(post_ids))
    posts = {p.id: p for chunk in chunks(post_ids) for p in session.scalars(select(Post).where(Post.id.in_(chunk)))}
    thread_ids = sorted({p.thread_id for p in posts.values()})
    threads = {t.id: t for chunk in chunks(thread_ids)
               for t in session.scalars(select(Thread).where(Thread.id.in_(chunk)))}
    categories = {c.id: c for c in session.scalars(select(Category).where(
        Category.id.in_({t.category_id for t in threads.values()})))}
    return {pid: (post, threads[post.thread_id], categories[threads[post.thread_id].category_id])
            for pid, post in posts.items()}


def _targets(thread, tags) -> list[tuple[str, int]]:
    return [("thread", thread.id), *(("tag", tag.id) for tag in tags.get(thread.id, []))]


def new_post_specs(session: Session, post_ids: list[int]) -> list[ActivitySpec]:
    from portal.forums.services import thread_tags
    from portal.profiles.services import persons_by_ids

    found = _load(session, post_ids)
    tags = thread_tags(session, {thread.id for _, thread, _ in found.values()})
    authors = persons_by_ids(session, [post.author_id for post, _, _ in found.values() if post.author_id])
    specs = []
    for post_id in sorted(found):
        post, thread, category = found[post_id]
        if not post.is_visible or thread.deleted_at is not None:
            continue
        group_id, members_only = _audience(category)
        author = authors.get(post.author_id)
        who = author.name if author else "Someone"
        if post.number == 1:
            verb, title = "forum.thread", f"{who} started “{thread.title}” in {category.name}"
        else:
            verb, title = "forum.reply", f"{who} replied to “{thread.title}”"
        specs.append(ActivitySpec(
            verb=verb, title=title, url=f"/forums/p/{post.id}", summary=_excerpt(post.body),
            targets=_targets(thread, tags), actor_person_id=author.id if author else None,
            group_id=group_id, members_only=members_only, source_key=f"post:{post.id}",
            data={"thread_id": thread.id, "post_id": post.id}, created_at=post.created_at))
    return specs


def accepted_answer_specs(session: Session, accepted: list[tuple[int, int]]) -> list[ActivitySpec]:
    from portal.forums.services import thread_tags
    from portal.profiles.services import persons_by_ids

    found = _load(session, [post_id for _, post_id in accepted])
    tags = thread_tags(session, {thread.id for _, thread, _ in found.values()})
    authors = persons_by_ids(session, [post.author_id for post, _, _ in found.values() if post.author_id])
    specs = []
    for _thread_id, post_id in accepted:
        if post_id not in found:
            continue
        post, thread, category = found[post_id]
        if not post.is_visible or thread.accepted_post_id != post.id:
            continue
        group_id, members_only = _audience(category)
        author = authors.get(post.author_id)
        title = f"{author.name if author else 'A'}’s answer was accepted in “{thread.title}”"
        specs.append(ActivitySpec(
            verb="forum.answer", title=title, url=f"/forums/p/{post.id}", summary=_excerpt(post.body),
            targets=_targets(thread, tags), actor_person_id=author.id if author else None,
            group_id=group_id, members_only=members_only, source_key=f"answer:{post.id}",
            data={"thread_id": thread.id, "post_id": post.id}))
    return specs


def refresh_audience(session: Session, changed_post_ids: set[int], thread_ids: set[int]) -> None:
    """Hide activities about deleted or hidden posts (and show them again when restored); give a
    moved thread's activities its new category's audience."""
    from portal.feeds.activities import activity_ids_for, hide_activities, set_group
    from portal.forums.models import Post

    if thread_ids:
        changed_post_ids = changed_post_ids | set(session.scalars(
            select(Post.id).where(Post.thread_id.in_(thread_ids))))
    if not changed_post_ids:
        return
    found = _load(session, changed_post_ids)
    hidden, shown = [], []
    by_audience: dict[tuple[int | None, bool], list[str]] = {}
    for post_id, (post, thread, category) in found.items():
        keys = [f"post:{post_id}", f"answer:{post_id}"]
        (shown if post.is_visible and thread.deleted_at is None else hidden).extend(keys)
        by_audience.setdefault(_audience(category), []).extend(keys)
    hide_activities(session, hidden, True)
    hide_activities(session, shown, False)
    for (group_id, members_only), keys in by_audience.items():
        set_group(session, activity_ids_for(session, keys), group_id, members_only)
