"""The forums blueprint and what its view modules share: who is looking, loading what they
asked for (or 404/403), URLs of threads and posts.

Routes: views.py (reading, posting), group_views.py (private groups, categories),
moderation_views.py (queue, hide/restore, pin/lock/move, suspend, audit log).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.db import db
from portal.forums.access import can_moderate, can_read
from portal.forums.models import Category, Post, Thread
from portal.forums.services import page_of_post
from portal.profiles.visibility import Viewer, viewer_for
from portal.web import current_person

bp = Blueprint("forums", __name__, url_prefix="/forums")

POSTING_LIMIT = "20 per minute;300 per day"


def viewer() -> Viewer:
    """Who is looking, built once per request."""
    if "forum_viewer" not in g:
        g.forum_viewer = viewer_for(db.session, current_user, current_person())
    return g.forum_viewer




def require_readable(category: Category) -> None:
    """Anonymous visitors are asked to log in; members who may not read a group get a 404, so
    that a private group's threads do not even reveal that they exist."""
    if can_read(db.session, category, viewer()):
        return
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    abort(404)


def category_or_404(slug: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        abort(404)
    require_readable(category)
    return category


def thread_or_404(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        abort(404)
    category = db.session.get(Category, thread.category_id)
    require_readable(category)
    if thread.deleted_at is not None and not can_moderate(db.session, category, viewer()):
        abort(410, "This thread was deleted.")
    return thread


def post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    thread_or_404(post.thread_id)
    return post


def thread_url(thread: Thread, **kw) -> str:
    return url_for("forums.thread", thread_id=thread.id, slug=thread.slug, **kw)


def post_url(post: Post, thread: Thread | None = None) -> str:
    thread = thread or db.session.get(Thread, post.thread_id)
    page = page_of_post(post)
    return thread_url(thread, page=page if page > 1 else None, _anchor=f"p{post.number}")


@bp.app_context_processor
def moderation_badge() -> dict:
    """The nav's moderation link: None hides it (not a moderator), otherwise the open flag count."""
    if not current_user.is_authenticated:
        return {"moderation_count": None}
    from portal.forums.moderation import is_moderator, open_flag_count

    who = viewer()
    if not is_moderator(db.session, who):
        return {"moderation_count": None}
    return {"moderation_count": open_flag_count(db.session, who)}
