"""Who may do what: members (logged in), company admins (Person.company_role, managed by
portal.companies) and ecosystem admins (User.role)."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app
from flask_login import current_user, login_required

__all__ = ["ecosystem_admin_required", "login_required", "is_ecosystem_admin"]


def is_ecosystem_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.is_ecosystem_admin)


def ecosystem_admin_required(view):
    """Anonymous visitors go to the login page; logged-in non-admins get a 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.is_ecosystem_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
