"""Moderator pages: the flag queue, hide/restore, pin/lock/move, suspend, the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from portal.db import db
from portal.errors import DomainError
from portal.forums import moderation
from portal.forums.blueprint import bp, post_or_404, post_url, thread_or_404, thread_url, viewer
from portal.forums.forms import ActionForm, HideForm, MoveForm, SuspendForm
from portal.forums.listing import readable_categories
from portal.forums.models import Category
from portal.pagination import Page, parse_page
from portal.profiles.services import persons_by_ids


def _require_any_moderator() -> None:
    if not moderation.is_moderator(db.session, viewer()):
        abort(403, "Only moderators can see this page.")


def _run(action, *args, success: str, **kwargs) -> bool:
    try:
        action(db.session, *args, **kwargs)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    flash(success, "success")
    return True


def _back(default: str) -> str:
    """Return to the queue when the action came from there, otherwise to the post."""
    return url_for("forums.moderation_queue") if request.form.get("from") == "queue" else default


@bp.get("/moderation")
@login_required
def moderation_queue():
    _require_any_moderator()
    items = moderation.moderation_queue(db.session, viewer())
    people = persons_by_ids(db.session, [i["post"].author_id for i in items]
                            + [f.reporter_id for i in items for f in i["flags"]])
    return render_template("forums/moderation_queue.html", items=items, people=people, hide_form=HideForm(),
                           action_form=ActionForm(), suspend_form=SuspendForm())


@bp.get("/moderation/log")
@login_required
def moderation_log():
    _require_any_moderator()
    number = parse_page(request.args.get("page"))
    rows, total = moderation.audit_log(db.session, viewer(), page=number)
    actors = persons_by_ids(db.session, [r.actor_id for r in rows])
    return render_template("forums/moderation_log.html", rows=rows, actors=actors,
                           page=Page(items=rows, number=number, per_page=50, total=total))


@bp.post("/p/<int:post_id>/hide")
@login_required
def hide(post_id: int):
    post = post_or_404(post_id)
    form = HideForm()
    if not form.validate_on_submit():
        abort(400, "The reason can be at most 200 characters.")
    _run(moderation.hide_post, post, viewer(), form.reason.data or "", success="The post is hidden.")
    return redirect(_back(post_url(post)))


@bp.post("/p/<int:post_id>/restore")
@login_required
def restore(post_id: int):
    post = post_or_404(post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    _run(moderation.restore_post, post, viewer(), success="The post is visible again.")
    return redirect(_back(post_url(post)))


@bp.post("/p/<int:post_id>/dismiss")
@login_required
def dismiss(post_id: int):
    post = post_or_404(post_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    _run(moderation.dismiss_flags, post, viewer(), success="Flags dismissed; the post stays.")
    return redirect(_back(post_url(post)))


@bp.post("/t/<int:thread_id>/state/<change>")
@login_required
def thread_state(thread_id: int, change: str):
    thread = thread_or_404(thread_id)
    changes = {"pin": ({"pinned": True}, "Thread pinned to the top."),
               "unpin": ({"pinned": False}, "Thread unpinned."),
               "lock": ({"locked": True}, "Thread locked: no new replies."),
               "unlock": ({"locked": False}, "Thread unlocked.")}
    if change not in changes or not ActionForm().validate_on_submit():
        abort(400)
    values, message = changes[change]
    _run(moderation.set_thread_state, thread, viewer(), **values, success=message)
    return redirect(thread_url(thread))


@bp.route("/t/<int:thread_id>/move", methods=["GET", "POST"])
@login_required
def move(thread_id: int):
    thread = thread_or_404(thread_id)
    who = viewer()
    source = db.session.get(Category, thread.category_id)
    if not moderation.can_moderate(db.session, source, who):
        abort(403, "Only moderators can move threads.")
    targets = [c for c in readable_categories(db.session, who)
               if c.id != source.id and moderation.can_moderate(db.session, c, who)]
    form = MoveForm()
    form.category.choices = [(c.id, c.name) for c in targets]
    if form.validate_on_submit():
        target = db.session.get(Category, form.category.data)
        if _run(moderation.move_thread, thread, target, who, success=f"Moved to {target.name}."):
            return redirect(thread_url(thread))
    return render_template("forums/move.html", thread=thread, form=form, has_targets=bool(targets)), \
        400 if form.errors else 200


@bp.post("/moderation/suspend/<int:person_id>")
@login_required
def suspend(person_id: int):
    form = SuspendForm()
    if not form.validate_on_submit():
        abort(400, "The reason can be at most 200 characters.")
    _run(moderation.suspend_member, person_id, viewer(), form.reason.data or "",
         success="The member is suspended: they can no longer log in.")
    return redirect(url_for("forums.moderation_queue"))

