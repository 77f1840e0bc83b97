"""Account pages: sign-up, email verification, login/logout, password reset and change."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from portal.auth import services
from portal.auth.federation import services as federation
from portal.auth.federation.forms import CompanySignInForm
from portal.auth.forms import (
    PASSWORD_HINT,
    ChangePasswordForm,
    EmailOnlyForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from portal.auth.session_auth import forget_authentication, mark_authenticated
from portal.db import db
from portal.errors import DomainError
from portal.extensions import limiter
from portal.web import show_form_error

bp = Blueprint("auth", __name__)

REMEMBER_FOR = timedelta(days=30)


def _limit(key: str, default: str):
    """A limit read from app config when the request comes (tests and deployments change it)."""
    return lambda: current_app.config.get(key, default)


login_limit = limiter.limit(_limit("RATELIMIT_LOGIN", "10/minute"), methods=["POST"])
signup_limit = limiter.limit(_limit("RATELIMIT_SIGNUP", "5/minute"), methods=["POST"])
mail_limit = limiter.limit(_limit("RATELIMIT_MAIL", "5/minute"), methods=["POST"])


def safe_next(target: str | None) -> str | None:
    """A local path to go back to after login, or None (never another site: no open redirect)."""
    target = (target or "").strip()
    if target.endswith("?"):
        target = target[:-1]  # request.full_path adds one even without a query
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(char) < 32 or ord(char) == 127 for char in target)):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _mail_link(endpoint: str):
    """Links in mails use the configured public address, never the request's Host header
    (a forged Host would otherwise send reset links to an attacker's site)."""
    base = current_app.config["SERVER_NAME_FOR_MAIL"].rstrip("/")
    return lambda token: base + url_for(endpoint, token=token)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]




def _home():
    return redirect(url_for("home.index"))


def _profile_edit_url() -> str:
    try:
        return url_for("profiles.edit")
    except BuildError:
        return url_for("home.index")


def _remembered() -> bool:
    return request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")) is not None


# --- Sign-up and verification -----------------------------------------------------------------

@bp.route("/signup", methods=["GET", "POST"])
@signup_limit
def signup():
    if current_user.is_authenticated:
        return _home()
    form = SignupForm()
    sso_refusal = None
    if form.validate_on_submit():
        sso_refusal = federation.password_account_refusal(db.session, form.email.data)
        try:
            if sso_refusal:
                raise DomainError(sso_refusal, field="email")
            user = services.register_account(db.session, form.name.data, form.email.data, form.password.data)
            services.queue_verification_mail(db.session, user, secret_key=_secret(),
                                             link=_mail_link("auth.verify_email"))
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        except IntegrityError:  # the same address signed up a moment ago, in another request
            db.session.rollback()
            show_form_error(form, DomainError(services.DUPLICATE_EMAIL, field="email"))
        else:
            flash(f"Almost done: we sent a link to {user.email}. Open it to confirm your email address "
                  "and log in.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form, password_hint=PASSWORD_HINT,
                           sso_refusal=sso_refusal), 400 if sso_refusal else 200


@bp.route("/verify/<token>")
def verify_email(token: str):
    try:
        user = services.verify_email(db.session, _secret(), token)
        db.commit()
    except services.AlreadyVerified as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("auth.login"))
    except DomainError as error:
        db.session.rollback()
        return render_template("auth/verify_failed.html", message=error.message,
                               form=EmailOnlyForm(formdata=None)), 400
    if not login_user(user, remember=False):
        flash("Your email address is confirmed, but the account is suspended.", "warning")
        return redirect(url_for("auth.login"))
    flash("Thank you, your email address is confirmed. Tell the ecosystem about yourself.", "success")
    return redirect(_profile_edit_url())


@bp.route("/verify/resend", methods=["GET", "POST"])
@mail_limit
def resend_verification():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_verification(db.session, form.email.data, secret_key=_secret(),
                                     link=_mail_link("auth.verify_email"))
        db.commit()
        flash("If an unconfirmed account exists for that address, we sent a new link. "
              "Please check your inbox.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/resend.html", form=form)


# --- Login and logout -------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    target = safe_next(request.values.get("next") or form.next.data)
    if current_user.is_authenticated:
        return redirect(target or url_for("home.index"))
    resend_form = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.email.data, form.password.data)
            federation.refuse_password_login(db.session, user)  # its domain may require company sign-in
        except services.AccountNotVerified as error:
            form.form_errors.append(error.message)
            resend_form = EmailOnlyForm(formdata=None, email=form.email.data)
        except DomainError as error:  # wrong credentials or suspended
            form.form_errors.append(error.message)
        else:
            services.record_login(db.session, user)
            db.commit()
            login_user(user, remember=bool(form.remember.data), duration=REMEMBER_FOR)
            mark_authenticated("pwd")
            return redirect(target or url_for("home.index"))
        db.session.rollback()
    form.next.data = target or ""
    if request.method == "GET" and not form.email.data:  # an OpenID client's login_hint prefills the address
        form.email.data = (request.args.get("login_hint") or "").strip()[:254] or None
    sso_form = CompanySignInForm(formdata=None, email=form.email.data, next=form.next.data)
    return render_template("auth/login.html", form=form, resend_form=resend_form, sso_form=sso_form)


@bp.route("/logout", methods=["POST"])
def logout():
    """POST only (with the CSRF token): a link or image elsewhere cannot log people out."""
    logout_user()
    forget_authentication()
    flash("You are logged out.", "info")
    return _home()


# --- Passwords --------------------------------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
@mail_limit
def forgot_password():
    form = EmailOnlyForm()
    sso_refusal = None
    if form.validate_on_submit():
        sso_refusal = federation.password_account_refusal(db.session, form.email.data)
        # The same answer whether or not the address has an account (nor whether it is an
        # ecosystem admin's, who still gets the link).
        if sso_refusal is None or federation.password_reset_exempt(db.session, form.email.data):
            services.request_password_reset(db.session, form.email.data, secret_key=_secret(),
                                            link=_mail_link("auth.reset_password"))
            db.commit()
        if sso_refusal is None:
            flash("If an account exists for that address, we sent a link to reset the password. "
                  "It works for one hour.", "success")
            return redirect(url_for("auth.login"))
        form.email.errors = [*form.email.errors, sso_refusal]
    return render_template("auth/forgot.html", form=form, sso_refusal=sso_refusal), 400 if sso_refusal else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@mail_limit
def reset_password(token: str):
    user = services.user_for_reset_token(db.session, _secret(), token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    sso_refusal = federation.password_account_refusal(db.session, user.email)
    if sso_refusal and not user.is_ecosystem_admin:  # a link sent before the domain required company sign-in
        return render_template("auth/reset_invalid.html", sso_refusal=sso_refusal, email=user.email), 403
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(db.session, _secret(), token, form.password.data)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            logout_user()
            login_user(user, remember=False)
            mark_authenticated("pwd")
            flash("Your password is changed. Every other session of your account is logged out.", "success")
            return _home()
    return render_template("auth/reset.html", form=form, token=token, password_hint=PASSWORD_HINT)


@bp.route("/password/change", methods=["GET", "POST"])
@login_required
@login_limit
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(db.session, user, form.current_password.data, form.password.data)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            # The bumped session_version ends every other session; renew this one.
            login_user(user, remember=_remembered(), duration=REMEMBER_FOR)
            flash("Your password is changed. Every other session of your account is logged out.", "success")
            return _home()
    return render_template("auth/change_password.html", form=form, password_hint=PASSWORD_HINT)
