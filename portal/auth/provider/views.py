"""The OpenID Provider's endpoints: discovery, JWKS, authorize (+ consent), token, userinfo,
introspection, revocation and RP-initiated logout. Protocol work is Authlib's (server.py);
these views add the browser side: login, `prompt`, `max_age`, consent, error pages."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from joserfc import jwt
from joserfc.errors import JoseError

from portal.auth import session_auth
from portal.auth.models import User
from portal.auth.provider import claims, client_views, consent, keys, tokens  # noqa: F401 - client pages
from portal.auth.provider.blueprint import bp
from portal.auth.provider.clients import client_by_client_id
from portal.auth.provider.metadata import discovery_document
from portal.auth.provider.server import authorization_server
from portal.auth.provider.settings import current_settings, issuer, profile_links
from portal.db import db
from portal.extensions import csrf

# Set when the provider sends someone to log in (prompt=login, max_age, no session): a login
# after this moment satisfies the request that asked for it.
LOGIN_REQUESTED_AT = "oidc_login_requested_at"
# Endpoints machines call (no browser session, no CSRF token) and pages a members-only portal
# must still serve to people who are not logged in yet.
PUBLIC_ENDPOINTS = {"provider.discovery", "provider.jwks", "provider.authorize", "provider.token",
                    "provider.userinfo", "provider.introspect", "provider.revoke", "provider.logout"}


class ConsentForm(FlaskForm):
    """Only the CSRF token: the authorization request travels in hidden fields."""


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _error_page(message: str, status: int = 400):
    """Errors that must not go back to the client (unknown client, unregistered redirect_uri):
    redirecting there would make the portal an open redirector."""
    return render_template("provider/error.html", message=message), status


def _with_issuer(response):
    """RFC 9207: add `iss` to an authorization response that goes back to the client."""
    location = response.headers.get("Location")
    if location and "iss=" not in location.split("?", 1)[-1]:
        response.headers["Location"] = add_params_to_uri(location, {"iss": issuer()})
    return response


def _error_response(server, error: OAuth2Error):
    if not getattr(error, "redirect_uri", None):
        return _error_page(error.description or error.error)
    return _with_issuer(server.handle_error_response(None, error))


def _checked_client():
    """The client and redirect_uri of an authorization request, or an error page (never a redirect)."""
    params = request.values
    client = client_by_client_id(db.session, params.get("client_id"))
    if client is None:
        return None, _error_page("This application is not registered with the portal (unknown client_id).")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is not None and not client.check_redirect_uri(redirect_uri):
        return None, _error_page("The redirect address is not one this application registered.")
    if redirect_uri is None and ("openid" in (params.get("scope") or "").split()
                                 or client.get_default_redirect_uri() is None):
        return None, _error_page("The request has no redirect_uri.")
    return client, None


def _login_redirect(params, *, force: bool):
    """Send the browser to the login page, coming back to this same request afterwards."""
    if force:
        logout_user()
        session_auth.forget_authentication()
    session[LOGIN_REQUESTED_AT] = int(time.time())
    query = [(k, v) for k, v in params.items(multi=True) if k != "csrf_token"]
    back = url_for("provider.authorize") + "?" + urlencode(query)
    login_hint = (params.get("login_hint") or "").strip()[:254]
    return redirect(url_for("auth.login", next=back, **({"login_hint": login_hint} if login_hint else {})))


def _fresh_login() -> bool:
    """True when the person logged in after the provider asked them to."""
    asked, at = session.get(LOGIN_REQUESTED_AT), session_auth.auth_time()
    return asked is not None and at is not None and at >= asked


def _max_age(params) -> int | None:
    raw = (params.get("max_age") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError("max_age must be a number of seconds")
    return int(raw)


def _hinted_subject(id_token_hint: str | None) -> str | None:
    """The `sub` of an ID token we issued (expired ones too: a hint, not a credential), or None."""
    if not id_token_hint:
        return None
    try:
        decoded = jwt.decode(id_token_hint, keys.verification_keys(db.session), algorithms=list(keys.ALGORITHMS))
    except (JoseError, ValueError, TypeError):
        return None
    if decoded.claims.get("iss") != issuer():
        return None
    return str(decoded.claims.get("sub")) if decoded.claims.get("sub") is not None else None


def _issue_code(server, grant, user):
    response = server.create_authorization_response(grant=grant, grant_user=user)
    db.commit()
    session.pop(LOGIN_REQUESTED_AT, None)
    return _with_issuer(response)


@bp.get("/.well-known/openid-configuration")
def discovery():
    response = jsonify(discovery_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/oauth/jwks")
def jwks():
    keys.ensure_keys(db.session, current_app.config["SECRET_KEY"])
    db.commit()
    response = jsonify(keys.jwks(db.session))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@csrf.exempt  # OpenID Connect lets clients POST the authorization request (Core 3.1.2.1)
def authorize():
    client, error_page = _checked_client()
    if error_page is not None:
        return error_page
    server = authorization_server()
    params = request.values
    prompts = set((params.get("prompt") or "").split())
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _error_response(server, error)
    redirect_uri = grant.request.payload.redirect_uri or client.get_default_redirect_uri()
    state = params.get("state")
    try:
        max_age = _max_age(params)
    except ValueError as error:
        return _error_response(server, InvalidRequestError(str(error), redirect_uri=redirect_uri, state=state))
    if user is None:
        return _login_redirect(params, force=False)  # prompt=none without a session: Authlib raised above
    auth_at = session_auth.auth_time()
    too_old = max_age is not None and (auth_at is None or time.time() - auth_at > max_age)
    # id_token_hint naming someone else than the logged-in person: they must log in as that person.
    other_person = _hinted_subject(params.get("id_token_hint")) not in (None, claims.subject(user))
    if ("login" in prompts or too_old or other_person) and not _fresh_login():
        if "none" in prompts:
            return _error_response(server, LoginRequiredError(redirect_uri=redirect_uri, state=state))
        return _login_redirect(params, force=True)
    scopes = (grant.request.scope or "").split()
    if "consent" in prompts or consent.needs_consent(db.session, user.id, client.client_id, scopes):
        if "none" in prompts:
            return _error_response(server, ConsentRequiredError(redirect_uri=redirect_uri, state=state))
        hidden = [(k, v) for k, v in params.items(multi=True) if k not in ("csrf_token", "decision")]
        return _no_store(current_app.make_response(render_template(
            "provider/consent.html", client=client, scopes=consent.describe(scopes), hidden=hidden,
            form=ConsentForm(), redirect_host=redirect_uri.split("/")[2] if "//" in redirect_uri else redirect_uri)))
    return _issue_code(server, grant, user)


@bp.post("/oauth/authorize/decision")
def decide():
    """The consent form's answer (CSRF-protected). The request is validated again from the hidden
    fields: nothing the browser sends here is trusted more than a fresh authorization request."""
    if not current_user.is_authenticated:
        abort(401)
    if not ConsentForm().validate_on_submit():
        return _error_page("The consent form was out of date. Please start again from the application.")
    client, error_page = _checked_client()
    if error_page is not None:
        return error_page
    server = authorization_server()
    user = current_user._get_current_object()
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _error_response(server, error)
    if request.form.get("decision") != "allow":
        return _issue_code(server, grant, None)  # access_denied back to the client
    consent.remember(db.session, user.id, client.client_id, (grant.request.scope or "").split())
    return _issue_code(server, grant, user)


@bp.post("/oauth/token")
@csrf.exempt
def token():
    response = authorization_server().create_token_response()
    # Committed whatever the outcome: a refused reused code or refresh token has just revoked
    # the tokens issued from it, and that must stick.
    db.commit()
    return response


def _bearer_token() -> str | None:
    """RFC 6750: the Authorization header, or (POST, form-encoded) the access_token field."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("access_token") or None
    return None


def _unauthorized(error: str = "invalid_token", description: str = "The access token is not valid."):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    return response


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    token_value = _bearer_token()
    if token_value is None:
        response = _unauthorized("invalid_request", "No access token.")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    found = tokens.live_access_token(db.session, current_settings(), token_value)
    if found is None:
        return _unauthorized()
    token_claims, row = found
    scopes = (row.scope or "").split()
    user = db.session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.is_active:
        return _unauthorized()
    if "openid" not in scopes:
        return _unauthorized("insufficient_scope", "The token was not issued for OpenID Connect.")
    released = claims.user_claims(db.session, user, scopes, audience=row.audience, links=profile_links())
    return _no_store(jsonify(released))


@bp.post("/oauth/introspect")
@csrf.exempt
def introspect():
    return _no_store(authorization_server().create_endpoint_response("introspection"))


@bp.post("/oauth/revoke")
@csrf.exempt
def revoke():
    response = authorization_server().create_endpoint_response("revocation")
    db.commit()
    return response


@bp.route("/oauth/logout", methods=["GET", "POST"])
@csrf.exempt  # relying parties may POST here; our own confirmation form is checked below
def logout():
    server = authorization_server()
    try:
        end_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _error_page(f"The logout request is not valid: {error.description or error.error}")
    if end_request.needs_confirmation:
        # No valid id_token_hint: anybody could have sent this link, so ask first (and never
        # redirect: Authlib leaves redirect_uri empty without the hint).
        if request.method == "GET" or not request.form.get("confirm"):
            return render_template("provider/logout_confirm.html", form=ConsentForm(),
                                   client=end_request.client)
        csrf.protect()
    response = server.create_endpoint_response("end_session", end_request)
    db.commit()
    return response or render_template("provider/logged_out.html")
