"""Forum pages: index, categories, threads, posting, editing, reactions, accepted answers."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy.exc import OperationalError
from werkzeug.routing import BuildError

from portal.db import db
from portal.errors import DomainError
from portal.extensions import limiter
from portal.forums import activity, listing, services
from portal.forums.access import can_moderate, can_post
from portal.forums.blueprint import (
    POSTING_LIMIT,
    bp,
    category_or_404,
    post_or_404,
    post_url,
    thread_or_404,
    thread_url,
    viewer,
)
from portal.forums.forms import ActionForm, EditPostForm, FlagForm, ReplyForm, ThreadForm
from portal.forums.models import REACTIONS, Category, ForumGroup, Post, Thread
from portal.forums.moderation import flag_post
from portal.pagination import Page, parse_page
from portal.profiles.services import persons_by_ids
from portal.web import commit_form_action

log = logging.getLogger(__name__)


@bp.get("/")
def index():
    return render_template("forums/index.html", **listing.forum_index(db.session, viewer()))


@bp.get("/c/<slug>")
def category(slug: str):
    category = category_or_404(slug)
    page = parse_page(request.args.get("page"))
    rows, total = listing.category_listing(db.session, category, viewer(), page)

    group = db.session.get(ForumGroup, category.group_id) if category.group_id else None
    return render_template("forums/category.html", category=category, rows=rows, group=group,
                           page=Page(items=rows, number=page, per_page=30, total=total),
                           can_post=can_post(db.session, category, viewer()))


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@login_required
@limiter.limit(POSTING_LIMIT, methods=["POST"])
def new_thread(slug: str):
    category = category_or_404(slug)
    who = viewer()
    if not can_post(db.session, category, who):
        abort(403, "Complete your profile to start threads.")
    form = ThreadForm()
    form.tags.render_kw = {**(form.tags.render_kw or {}), "data-tag-autocomplete": url_for("tags.suggest")}
    if form.validate_on_submit():
        done, thread = commit_form_action(form, services.create_thread, category, who.person_id, form.title.data,
                                          form.body.data, tags=form.tags.data or "", viewer=who)
        if done:
            return redirect(thread_url(thread))
    return render_template("forums/new_thread.html", category=category, form=form,
                           similar_threads_url=_similar_threads_url()), 400 if form.errors else 200


def _similar_threads_url() -> str:
    """The search feature's endpoint behind "similar threads" ('' hides the panel without it)."""
    try:
        return url_for("search.similar")
    except BuildError:
        return ""


@bp.get("/t/<int:thread_id>")
@bp.get("/t/<int:thread_id>/<slug>")
def thread(thread_id: int, slug: str | None = None):
    thread = thread_or_404(thread_id)
    who = viewer()
    data = listing.thread_page(db.session, thread, who, parse_page(request.args.get("page")))
    reply_form = ReplyForm()
    quote = request.args.get("quote", type=int)
    if quote and data.can_reply:
        quoted = db.session.get(Post, quote)
        if quoted is not None and quoted.thread_id == thread.id and quoted.is_visible:
            author = persons_by_ids(db.session, [quoted.author_id]).get(quoted.author_id)
            reply_form.body.data = services.quote_text(quoted, author.name if author else "Someone")
            reply_form.reply_to.data = str(quoted.id)
    if who.person_id is not None and data.posts:
        try:
            activity.mark_read(db.session, who.person_id, thread, data.posts[-1].number)
            db.commit()
        except OperationalError:
            # SQLite: this GET read first, so a write committed meanwhile fails it at once ("database
            # is locked"). The read marker is a convenience; the page still shows.
            db.session.rollback()
            log.warning("thread %s: read marker not saved (database busy)", thread.id)
    return render_template("forums/thread.html", d=data, reply_form=reply_form, action_form=ActionForm(),
                           reactions=REACTIONS)


@bp.post("/t/<int:thread_id>/reply")
@login_required
@limiter.limit(POSTING_LIMIT)
def reply(thread_id: int):
    thread = thread_or_404(thread_id)
    who = viewer()
    form = ReplyForm()
    if form.validate_on_submit():
        reply_to = None
        if form.reply_to.data:
            reply_to = db.session.get(Post, int(form.reply_to.data)) if form.reply_to.data.isdigit() else None
            if reply_to is None:
                form.form_errors.append("The post you quoted no longer exists.")
        if not form.form_errors:
            done, post = commit_form_action(form, services.reply, thread, who.person_id, form.body.data,
                                            reply_to=reply_to, viewer=who)
            if done:
                return redirect(post_url(post, thread))
    data = listing.thread_page(db.session, thread, who, 10_000)
    return render_template("forums/thread.html", d=data, reply_form=form, action_form=ActionForm(),
                           reactions=REACTIONS), 400


@bp.get("/p/<int:post_id>")
def permalink(post_id: int):
    """A post's stable address: redirects to the page of its thread where it is now."""
    return redirect(post_url(post_or_404(post_id)))


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(POSTING_LIMIT, methods=["POST"])
def edit(post_id: int):
    post = post_or_404(post_id)
    who = viewer()
    if not services.can_edit(db.session, post, who):
        abort(403, "You cannot edit this post.")
    thread = db.session.get(Thread, post.thread_id)
    form = EditPostForm()
    if request.method == "GET":
        form.body.data = post.body
        form.title.data = thread.title
    elif form.validate_on_submit():
        done, _ = commit_form_action(form, services.edit_post, post, who, form.body.data,
                                     title=form.title.data if post.number == 1 else None)
        if done:
            flash("Saved.", "success")
            return redirect(post_url(post, thread))
    return render_template("forums/edit.html", post=post, thread=thread, form=form), 400 if form.errors else 200


@bp.get("/p/<int:post_id>/history")
def history(post_id: int):
    post = post_or_404(post_id)
    if not post.is_visible and not can_moderate(
            db.session, db.session.get(Category, db.session.get(Thread, post.thread_id).category_id), viewer()):
        abort(404)
    revisions = services.post_history(db.session, post)
    editors = persons_by_ids(db.session, [r.editor_id for r in revisions])
    return render_template("forums/history.html", post=post, thread=db.session.get(Thread, post.thread_id),
                           revisions=revisions, editors=editors)


@bp.post("/p/<int:post_id>/delete")
@login_required
def delete(post_id: int):
    post = post_or_404(post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_post(db.session, post, viewer())
        db.commit()
    except DomainError as error:
        db.session.rollback()
        abort(403, error.message)
    thread = db.session.get(Thread, post.thread_id)
    flash("The thread was deleted." if post.number == 1 else "The post was deleted.", "success")
    if post.number == 1:
        return redirect(url_for("forums.category", slug=db.session.get(Category, thread.category_id).slug))
    return redirect(post_url(post, thread))


@bp.post("/p/<int:post_id>/react/<kind>")
@login_required
@limiter.limit("60 per minute")
def react(post_id: int, kind: str):
    post = post_or_404(post_id)
    if kind not in REACTIONS or not ActionForm().validate_on_submit():
        abort(400, "Unknown reaction.")
    try:
        activity.toggle_reaction(db.session, post, viewer(), kind)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        abort(400, error.message)
    return redirect(post_url(post))


@bp.post("/p/<int:post_id>/accept")
@login_required
def accept(post_id: int):
    post = post_or_404(post_id)
    thread = db.session.get(Thread, post.thread_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    undo = thread.accepted_post_id == post.id
    try:
        activity.set_accepted_answer(db.session, thread, None if undo else post, viewer())
        db.commit()
    except DomainError as error:
        db.session.rollback()
        abort(403, error.message)
    flash("Accepted answer removed." if undo else "Marked as the accepted answer.", "success")
    return redirect(post_url(post, thread))


@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def flag(post_id: int):
    post = post_or_404(post_id)
    form = FlagForm()
    if form.validate_on_submit():
        done, _ = commit_form_action(form, flag_post, post, viewer(), form.reason.data, form.note.data or "")
        if done:
            flash("Thank you. A moderator will look at the post.", "success")
            return redirect(post_url(post))
    return render_template("forums/flag.html", post=post, thread=db.session.get(Thread, post.thread_id),
                           form=form), 400 if form.errors else 200

