"""Blocking members, reporting a message, and the ecosystem admins' queue of reported messages
(routes on the messages blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.db import db
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.messages import blocking, reports
from portal.messages.forms import ActionForm, ReportForm
from portal.messages.views import action_limit, bp, me
from portal.web import show_form_error


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
    try:
        entry = blocking.block(db.session, me(), person_id)
        db.commit()
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_back(url_for("messages.blocked")))
    from portal.profiles.models import Person

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
            try:
                reports.report_message(db.session, person, message_id, form.reason.data, form.note.data or "")
                db.commit()
            except DomainError as error:
                db.session.rollback()
                show_form_error(form, error)
            else:
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
    try:
        if action == "dismiss":
            reports.dismiss_reports(db.session, me(), message_id)
            done = "Reports dismissed."
        else:
            author = reports.suspend_author(db.session, me(), message_id)
            done = f"{author.name} is suspended; their open reports are closed."
        db.commit()
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("messages.report_queue"))
