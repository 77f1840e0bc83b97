"""Request-level wiring shared by every blueprint: login loading, the members-only gate,
error pages, template helpers."""

from __future__ import annotations

from flask import Flask, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.db import db
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.extensions import login_manager
from portal.markdown import render_markdown

# Endpoints reachable while the portal is members-only and nobody is logged in.
OPEN_ENDPOINTS = {"static", "auth.login", "auth.signup", "auth.verify_email", "auth.resend_verification",
                  "auth.forgot_password", "auth.reset_password", "auth.logout", "mail.outbox",
                  "mail.outbox_message",
                  "notifications.unsubscribe_link",  # one-click unsubscribe from mail, no login (RFC 8058)
                  "live.stream"}  # answers 401 itself: an EventSource must not be redirected to a login page


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    app.before_request(_members_only_gate)
    app.context_processor(_template_context)
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(page_url)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _load_user(user_key: str):
    from portal.auth.services import load_user_for_session

    return load_user_for_session(db.session, user_key)


def _members_only_gate():
    from portal.admin.services import is_members_only

    if current_user.is_authenticated or request.endpoint in OPEN_ENDPOINTS or request.endpoint is None:
        return None
    if is_members_only(db.session):
        flash("This portal is open to members only. Please log in.", "info")
        return redirect(url_for("auth.login", next=request.full_path))
    return None


def current_person():
    """The logged-in user's profile, looked up once per request."""
    if not current_user.is_authenticated:
        return None
    if "current_person" not in g:
        from portal.profiles.services import person_for_user

        g.current_person = person_for_user(db.session, current_user.id)
    return g.current_person


def show_form_error(form, error, field_name: str | None = None) -> None:
    """Show a service's DomainError next to its field (or on top of the form when it names none)."""
    name = field_name or error.field
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def commit_form_action(form, action, /, *args, error_fields: dict[str, str] | None = None,
                       **kwargs) -> tuple[bool, object]:
    """Run `action(db.session, *args, **kwargs)` and commit. A DomainError rolls the request's
    transaction back and is shown on the form (`error_fields` renames a service's field to the
    form's); a NotFound or PermissionDenied ends the request with 404 or 403 instead, since no
    change to the form would help. Returns (succeeded, what the action returned)."""
    renames = error_fields or {}
    return _commit_action(lambda error: show_form_error(form, error, renames.get(error.field)), action, args, kwargs)


def commit_flash_action(action, /, *args, **kwargs) -> tuple[bool, object]:
    """`commit_form_action` for a button with no form to show an error on: a DomainError is
    flashed as an error after the rollback (404 and 403 as there). Returns (succeeded, result)."""
    return _commit_action(lambda error: flash(error.message, "error"), action, args, kwargs)


def _commit_action(show_error, action, args, kwargs) -> tuple[bool, object]:
    """Both helpers' body; only how a DomainError reaches the user differs."""
    try:
        result = action(db.session, *args, **kwargs)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, NotFound):
            abort(404)
        if isinstance(error, PermissionDenied):
            abort(403, error.message)
        show_error(error)
        return False, None
    return True, result


def page_url(number: int) -> str:
    """This page's URL with another page number; url_for's own options (_external…) never pass through."""
    args = {k: v for k, v in request.args.items() if not k.startswith("_") and k != "page"}
    return url_for(request.endpoint, **(request.view_args or {}), **args, page=number)


def _template_context() -> dict:
    return {"current_person": current_person()}


def _csrf_error(error: CSRFError):
    return render_template("errors/error.html", code=400, title="Form expired",
                           message="The form was out of date or not sent from this site. "
                                   "Please go back, reload the page and try again."), 400


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    messages = {
        400: "The request could not be understood.",
        403: "You do not have permission to see this page.",
        404: "There is nothing at this address.",
        405: "That action is not allowed here.",
        413: "The upload is too large.",
        429: "Too many attempts. Please wait a moment and try again.",
    }
    message = error.description if error.code in (400, 403, 413) and error.description else messages.get(
        error.code, error.description)
    return render_template("errors/error.html", code=error.code, title=error.name,
                           message=message), error.code


def _unexpected_error(error: Exception):
    from flask import current_app

    if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
        raise error
    current_app.logger.exception("unhandled error")
    return render_template("errors/error.html", code=500, title="Something went wrong",
                           message="The error was logged. Please try again."), 500
