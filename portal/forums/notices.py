"""Who is notified about a post a member writes: the people it @mentions (kind "mention") and, for a
reply, the thread's author and everyone who posted in it before (kind "reply").

Called from the create/reply/edit flows in services.py, inside the transaction that stores the post,
so the notifications and their mail (the durable outbox) commit with it — a crash between the
post and its notifications cannot lose them, as an after-commit event handler could. Imports and
demo data pass no viewer and notify nobody. Each person hears once per post: a mention wins over a
reply. Only people who may read the category are told — a private group's post reaches its members
(and the ecosystem admins) only; notify() itself leaves out suspended accounts and the author.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.member_accounts import account_states
from portal.forums.access import can_read
from portal.forums.models import GROUP, Category, GroupMember, Mention, Post, Thread
from portal.notifications.services import notify
from portal.profiles.services import persons_by_ids
from portal.profiles.visibility import Viewer


def mentioned_in(session: Session, post: Post) -> set[int]:
    return set(session.scalars(select(Mention.person_id).where(Mention.post_id == post.id)))


def readers_among(session: Session, category: Category, person_ids: Collection[int]) -> set[int]:
    """The people among `person_ids` who may read this category (as logged-in members)."""
    ids = set(person_ids)
    if not ids:
        return set()
    if category.visibility != GROUP:
        return ids if can_read(session, category, Viewer(is_member=True)) else set()
    members = set(session.scalars(select(GroupMember.person_id).where(
        GroupMember.group_id == category.group_id, GroupMember.person_id.in_(ids))))
    admins = {pid for pid, state in account_states(session, ids - members).items() if state.is_ecosystem_admin}
    return members | admins


def _participants(session: Session, thread: Thread, post: Post) -> set[int]:
    """The thread's author and the authors of its other visible posts."""
    earlier = set(session.scalars(select(Post.author_id).where(
        Post.thread_id == thread.id, Post.id != post.id, Post.author_id.is_not(None),
        Post.deleted_at.is_(None), Post.hidden_at.is_(None)).distinct()))
    return earlier | ({thread.author_id} if thread.author_id else set())


def post_written(session: Session, post: Post, thread: Thread, *, newly_mentioned: set[int],
                 is_new: bool) -> None:
    """Notify about a post just written (`is_new`) or edited (then only newly mentioned people)."""
    category = session.get(Category, thread.category_id)
    author = persons_by_ids(session, [post.author_id]).get(post.author_id) if post.author_id else None
    who = author.name if author else "Someone"
    url = f"/forums/p/{post.id}"
    mention_ids = readers_among(session, category, newly_mentioned - {post.author_id})
    if mention_ids:
        notify(session, person_ids=sorted(mention_ids), kind="mention", actor_person_id=post.author_id,
               title=f"{who} mentioned you in “{thread.title}”", url=url)
    if is_new and post.number > 1:
        reply_ids = readers_among(session, category,
                                  _participants(session, thread, post) - newly_mentioned - {post.author_id})
        if reply_ids:
            notify(session, person_ids=sorted(reply_ids), kind="reply", actor_person_id=post.author_id,
                   title=f"{who} replied in “{thread.title}”", url=url)
