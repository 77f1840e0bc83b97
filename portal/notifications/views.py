"""Notification pages: the list (mark read, open), the settings form, one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from portal.db import db
from portal.errors import DomainError, NotFound
from portal.extensions import csrf
from portal.notifications import services, unsubscribe
from portal.notifications.forms import ActionForm, SettingsForm
from portal.notifications.models import KINDS
from portal.pagination import parse_page
from portal.web import current_person, show_form_error

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def _me():
    person = current_person()
    if person is None:
        abort(403, "Your account has no profile yet.")
    return person


def _back_to_list():
    """The list page the button was on (page and filter kept), never another site."""
    args = {k: v for k, v in (("page", request.form.get("page")), ("unread", request.form.get("unread"))) if v}
    return redirect(url_for("notifications.index", page=parse_page(args.get("page")),
                            **({"unread": "1"} if args.get("unread") == "1" else {})))


@bp.get("/")
@login_required
def index():
    me = _me()
    unread_only = request.args.get("unread") == "1"
    page = services.notifications_page(db.session, me, parse_page(request.args.get("page")), unread_only=unread_only)
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           unread=services.unread_count(db.session, me.id), action_form=ActionForm(),
                           kind_labels=services.KIND_LABELS)


@bp.post("/<int:notification_id>/read")
@login_required
def mark_one_read(notification_id: int):
    if not ActionForm().validate_on_submit():
        abort(400, "The form was out of date. Please reload the page and try again.")
    services.mark_read(db.session, _me(), [notification_id])
    db.commit()
    return _back_to_list()


@bp.post("/read-all")
@login_required
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400, "The form was out of date. Please reload the page and try again.")
    count = services.mark_read(db.session, _me(), "all")
    db.commit()
    flash(f"Marked {count} notification{'s' if count != 1 else ''} as read." if count else "Nothing was unread.",
          "success")
    return _back_to_list()


@bp.get("/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Follow a notification's link; opening it marks it read."""
    try:
        target = services.open_notification(db.session, _me(), notification_id)
    except NotFound:
        abort(404)
    db.commit()
    return redirect(services.local_path(target))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    me = _me()
    form = SettingsForm(data=services.preferences(db.session, me))
    status = 200
    if request.method == "POST":
        form = SettingsForm()
        if form.validate():
            try:
                services.set_preferences(db.session, me, form.choices())
                db.commit()
            except DomainError as error:
                db.session.rollback()
                show_form_error(form, error)
            else:
                flash("Your notification settings are saved.", "success")
                return redirect(url_for("notifications.settings"))
        status = 400
    return render_template("notifications/settings.html", form=form, kinds=KINDS), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential: mail clients POST it without cookies (RFC 8058)
def unsubscribe_link(token: str):
    """GET asks to confirm (link scanners must not unsubscribe anyone); POST unsubscribes."""
    try:
        person_id, kind = unsubscribe.read_token(current_app.config["SECRET_KEY"], token)
        kinds = list(KINDS) if kind == unsubscribe.ALL_KINDS else [kind]
        what = "all notification mail" if kind == unsubscribe.ALL_KINDS else \
            f"mail about “{services.KIND_LABELS[kind].lower()}”"
        if request.method == "GET":
            return render_template("notifications/unsubscribe.html", what=what, done=False)
        services.unsubscribe_person(db.session, person_id, kinds)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        return render_template("notifications/unsubscribe.html", error=error.message), 400
    return render_template("notifications/unsubscribe.html", what=what, done=True)
