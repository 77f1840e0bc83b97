"""Blocking members, reporting a message, and the ecosystem admins' queue of reported messages
(routes on the messages blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.db import db
from portal.errors import NotFound, PermissionDenied
from portal.messages import blocking, reports
from portal.messages.forms import ActionForm, ReportForm
from portal.messages.views import action_limit, bp, me
from portal.profiles.models import Person
from portal.web import commit_flash_action, commit_form_action


def _back(default: str) -> str:
    """Where a block button sends the member back to: a page of this portal only."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


@bp.get("/blocked")
@login_required
def blocked():
    return render_template("messages/blocked.html", people=blocking.blocked_people(db.session, me()),
                           action_form=ActionForm())


@bp.post("/block/<int:person_id>")
@login_required
@action_limit
def block(person_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    done, entry = commit_flash_action(blocking.block, me(), person_id)
    if done:
        name = db.session.get(Person, entry.blocked_id).name
        flash(f"You blocked {name}. They can no longer write to you or add you to groups.", "info")
    return redirect(_back(url_for("messages.blocked")))


@bp.post("/unblock/<int:person_id>")
@login_required
@action_limit
def unblock(person_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    blocking.unblock(db.session, me(), person_id)
    db.commit()
    flash("Unblocked.", "info")
    return redirect(_back(url_for("messages.blocked")))


@bp.route("/m/<int:message_id>/report", methods=["GET", "POST"])
@login_required
@action_limit
def report(message_id: int):
    person = me()
    try:
        message = reports.readable_message(db.session, person, message_id)
    except NotFound:
        abort(404)
    form = ReportForm()
    if request.method == "POST":
        if form.validate_on_submit():
            done, _ = commit_form_action(form, reports.report_message, person, message_id, form.reason.data,
                                         form.note.data or "")
            if done:
                flash("Thank you. The ecosystem admins will look at the message.", "success")
                return redirect(url_for("messages.show", conversation_id=message.conversation_id))
        return render_template("messages/report.html", form=form, message=message), 400
    return render_template("messages/report.html", form=form, message=message)


def _require_admin() -> None:
    if not current_user.is_ecosystem_admin:
        abort(403)


@bp.get("/reports")
@login_required
def report_queue():
    _require_admin()
    try:
        items = reports.open_reports(db.session, me())
    except PermissionDenied:
        abort(403)
    return render_template("messages/reports.html", items=items, action_form=ActionForm())


@bp.post("/reports/<int:message_id>/<action>")
@login_required
def resolve_report(message_id: int, action: str):
    _require_admin()
    if action not in ("dismiss", "suspend"):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if action == "dismiss":
        done, _ = commit_flash_action(reports.dismiss_reports, me(), message_id)
        if done:
            flash("Reports dismissed.", "success")
    else:
        done, author = commit_flash_action(reports.suspend_author, me(), message_id)
        if done:
            flash(f"{author.name} is suspended; their open reports are closed.", "success")
    return redirect(url_for("messages.report_queue"))
