"""Who interacted with whom in the forums, for the matching graph and ecosystem health.

Other features read forum activity through these functions, never through the forum tables.
An interaction is directed: the actor did something towards the target —
  reply            the actor replied to the target's post (a reply without quote answers the thread's author)
  mention          the actor @mentioned the target
  accepted_answer  the actor (the thread's author) accepted the target's answer
  reaction         the actor reacted to the target's post
Posts that are deleted or hidden, threads that are deleted, and acts towards oneself are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from portal.forums.access import SCOPE_MEMBERS, SCOPE_PUBLIC
from portal.forums.models import GROUP, MEMBERS, Category, Mention, Post, Reaction, Thread, ThreadTag

REPLY, MENTION, ACCEPTED_ANSWER, REACTION = "reply", "mention", "accepted_answer", "reaction"
INTERACTION_KINDS = (REPLY, MENTION, ACCEPTED_ANSWER, REACTION)


@dataclass(frozen=True)
class Interaction:
    actor_id: int
    target_id: int
    kind: str
    at: datetime
    post_id: int
    thread_id: int
    category_id: int
    scope: str  # "public", "members" or "group:<id>", as portal.forums.access names scopes


@dataclass(frozen=True)
class TopicUse:
    """A person wrote `posts` posts in threads tagged `tag_id`, the last one at `last_at`."""

    person_id: int
    tag_id: int
    posts: int
    last_at: datetime
    scope: str


def _scope(visibility: str, group_id: int | None) -> str:
    if visibility == GROUP and group_id is not None:
        return f"group:{group_id}"
    return SCOPE_MEMBERS if visibility == MEMBERS else SCOPE_PUBLIC


def _live(post) -> list:
    return [post.deleted_at.is_(None), post.hidden_at.is_(None)]


def _window(stmt: Select, column, since: datetime | None, until: datetime | None) -> Select:
    if since is not None:
        stmt = stmt.where(column >= since)
    if until is not None:
        stmt = stmt.where(column < until)
    return stmt


def _restrict(stmt: Select, post_column, post_ids: Iterable[int] | None, include_groups: bool) -> Select:
    if post_ids is not None:
        stmt = stmt.where(post_column.in_(list(post_ids)))
    if not include_groups:
        stmt = stmt.where(Category.visibility != GROUP)
    return stmt


def person_interactions(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                        post_ids: Iterable[int] | None = None, include_groups: bool = True,
                        kinds: Iterable[str] = INTERACTION_KINDS) -> Iterator[Interaction]:
    """Every interaction in [since, until), optionally only those of some posts, oldest first
    within each kind. `include_groups=False` leaves out private groups' activity."""
    post_ids = list(post_ids) if post_ids is not None else None
    kinds = set(kinds)
    target = aliased(Post)
    base_columns = (Post.thread_id, Thread.category_id, Category.visibility, Category.group_id)
    queries: list[tuple[str, Select]] = []
    if REPLY in kinds:
        # An explicit quote-reply answers that post's author; any other reply answers the thread's author.
        target_author = func.coalesce(target.author_id, Thread.author_id)
        stmt = (select(Post.author_id, target_author, Post.created_at, Post.id, *base_columns)
                .join(Thread, Thread.id == Post.thread_id).join(Category, Category.id == Thread.category_id)
                .outerjoin(target, and_(target.id == Post.reply_to_id, *_live(target)))
                .where(Post.number > 1, Thread.deleted_at.is_(None), *_live(Post)))
        queries.append((REPLY, _restrict(_window(stmt, Post.created_at, since, until), Post.id, post_ids,
                                         include_groups)))
    if MENTION in kinds:
        stmt = (select(Post.author_id, Mention.person_id, Post.created_at, Post.id, *base_columns)
                .join(Post, Post.id == Mention.post_id).join(Thread, Thread.id == Post.thread_id)
                .join(Category, Category.id == Thread.category_id)
                .where(Thread.deleted_at.is_(None), *_live(Post)))
        queries.append((MENTION, _restrict(_window(stmt, Post.created_at, since, until), Post.id, post_ids,
                                           include_groups)))
    if ACCEPTED_ANSWER in kinds:
        # From the post side, so that a post-id filter uses the primary key (accepted_post_id has no index).
        stmt = (select(Thread.author_id, Post.author_id, Post.created_at, Post.id, *base_columns)
                .select_from(Post)
                .join(Thread, and_(Thread.id == Post.thread_id, Thread.accepted_post_id == Post.id))
                .join(Category, Category.id == Thread.category_id)
                .where(Thread.deleted_at.is_(None), *_live(Post)))
        queries.append((ACCEPTED_ANSWER, _restrict(_window(stmt, Post.created_at, since, until), Post.id,
                                                   post_ids, include_groups)))
    if REACTION in kinds:
        stmt = (select(Reaction.person_id, Post.author_id, Reaction.created_at, Post.id, *base_columns)
                .join(Post, Post.id == Reaction.post_id).join(Thread, Thread.id == Post.thread_id)
                .join(Category, Category.id == Thread.category_id)
                .where(Thread.deleted_at.is_(None), *_live(Post)))
        queries.append((REACTION, _restrict(_window(stmt, Reaction.created_at, since, until), Post.id, post_ids,
                                            include_groups)))
    for kind, stmt in queries:
        seen: set[tuple[int, int, int]] = set()
        for actor, tgt, at, post_id, thread_id, category_id, visibility, group_id in session.execute(
                stmt.order_by(stmt.selected_columns[2])):
            if actor is None or tgt is None or actor == tgt:
                continue
            if kind == REACTION:
                # Several reaction kinds by one person on one post are one interaction.
                key = (actor, tgt, post_id)
                if key in seen:
                    continue
                seen.add(key)
            yield Interaction(actor, tgt, kind, at, post_id, thread_id, category_id, _scope(visibility, group_id))


def person_topics(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                  person_ids: Iterable[int] | None = None, tag_ids: Iterable[int] | None = None,
                  include_groups: bool = False) -> Iterator[TopicUse]:
    """For each person and tag: how many live posts they wrote in threads carrying that tag
    (optionally only for some tags: a new post changes only its thread's tags)."""
    stmt = (select(Post.author_id, ThreadTag.tag_id, func.count(Post.id), func.max(Post.created_at),
                   Category.visibility, Category.group_id)
            .join(Thread, Thread.id == Post.thread_id).join(ThreadTag, ThreadTag.thread_id == Thread.id)
            .join(Category, Category.id == Thread.category_id)
            .where(Post.author_id.is_not(None), Thread.deleted_at.is_(None), *_live(Post))
            .group_by(Post.author_id, ThreadTag.tag_id, Category.visibility, Category.group_id))
    stmt = _window(stmt, Post.created_at, since, until)
    if person_ids is not None:
        stmt = stmt.where(Post.author_id.in_(list(person_ids)))
    if tag_ids is not None:
        stmt = stmt.where(ThreadTag.tag_id.in_(list(tag_ids)))
    if not include_groups:
        stmt = stmt.where(Category.visibility != GROUP)
    for person_id, tag_id, posts, last_at, visibility, group_id in session.execute(stmt):
        yield TopicUse(person_id, tag_id, posts, last_at, _scope(visibility, group_id))


def post_authors(session: Session, post_ids: Iterable[int]) -> dict[int, int]:
    """post id → author person id, for live posts with an author."""
    ids = list(post_ids)
    if not ids:
        return {}
    rows = session.execute(select(Post.id, Post.author_id).where(Post.id.in_(ids), Post.author_id.is_not(None)))
    return dict(rows.all())


def thread_tag_ids(session: Session, thread_ids: Iterable[int]) -> dict[int, set[int]]:
    """thread id → the ids of its tags."""
    ids = list(thread_ids)
    tags: dict[int, set[int]] = {thread_id: set() for thread_id in ids}
    if ids:
        for thread_id, tag_id in session.execute(
                select(ThreadTag.thread_id, ThreadTag.tag_id).where(ThreadTag.thread_id.in_(ids))):
            tags[thread_id].add(tag_id)
    return tags


def thread_post_ids(session: Session, thread_ids: Iterable[int]) -> list[int]:
    ids = list(thread_ids)
    if not ids:
        return []
    return list(session.scalars(select(Post.id).where(Post.thread_id.in_(ids))))
