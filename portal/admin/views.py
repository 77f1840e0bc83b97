"""The ecosystem-admin console: numbers, settings, verification queue, accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin.forms import ROLE_LABELS, ActionForm, MembersOnlyForm, UserRoleForm
from portal.admin.services import (
    companies_awaiting_verification,
    is_members_only,
    search_users,
    set_members_only,
)
from portal.auth import services as accounts
from portal.auth.models import User
from portal.auth.permissions import ecosystem_admin_required
from portal.db import db
from portal.errors import DomainError
from portal.home.services import ecosystem_numbers
from portal.pagination import parse_page
from portal.text import clean_line

bp = Blueprint("admin", __name__)


def _back():
    """Back to the console, keeping the user search."""
    q = clean_line(request.form.get("q", ""))[:254]
    return redirect(url_for("admin.index", q=q or None, _anchor="users"))


@bp.get("/admin")
@ecosystem_admin_required
def index():
    q = clean_line(request.args.get("q", ""))[:254]
    users = search_users(db.session, q, parse_page(request.args.get("page")))
    return render_template(
        "admin/index.html", numbers=ecosystem_numbers(db.session),
        members_only_form=MembersOnlyForm(members_only=is_members_only(db.session)),
        awaiting=companies_awaiting_verification(db.session), users=users, q=q, role_labels=ROLE_LABELS,
        action_form=ActionForm())


@bp.post("/admin/members-only")
@ecosystem_admin_required
def members_only():
    form = MembersOnlyForm()
    if not form.validate_on_submit():
        abort(400)
    set_members_only(db.session, bool(form.members_only.data))
    db.commit()
    flash("The portal is now open to members only." if form.members_only.data
          else "The portal is now open to visitors.", "success")
    return redirect(url_for("admin.index"))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _account_action(user_id: int, action, success: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _user_or_404(user_id)
    try:
        action(user)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(success.format(email=user.email), "success")
    return _back()


@bp.post("/admin/users/<int:user_id>/role")
@ecosystem_admin_required
def set_role(user_id: int):
    form = UserRoleForm()
    if not form.validate_on_submit():
        abort(400)
    role = form.role.data
    return _account_action(user_id, lambda user: accounts.set_role(db.session, user, role),
                           "{email} is now " + ROLE_LABELS.get(role, role).lower() + ".")


@bp.post("/admin/users/<int:user_id>/suspend")
@ecosystem_admin_required
def suspend(user_id: int):
    if user_id == current_user.id:
        flash("You cannot suspend your own account.", "error")
        return _back()
    return _account_action(user_id, lambda user: accounts.suspend_user(db.session, user),
                           "{email} is suspended and logged out everywhere.")


@bp.post("/admin/users/<int:user_id>/unsuspend")
@ecosystem_admin_required
def unsuspend(user_id: int):
    return _account_action(user_id, lambda user: accounts.unsuspend_user(db.session, user),
                           "{email} can log in again.")
