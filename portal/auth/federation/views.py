"""Company sign-in pages: start (email → provider), callback, link an existing account, and the
company admins' configuration page.

The flow's secrets (state, nonce, PKCE verifier) live in the signed session cookie under their
state, so several tabs can sign in at once and each callback consumes exactly its own flow.
Each company has its own callback URL (…/callback/<company id>): a response arriving at the
callback of another provider than the one the flow was started with is refused (mix-up).
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from portal.auth import services as auth_services
from portal.auth.federation import client, services
from portal.auth.federation.forms import (
    CompanySignInForm,
    DeleteProviderForm,
    LinkAccountForm,
    ProviderForm,
    split_list,
)
from portal.auth.federation.models import CompanyIdentityProvider
from portal.auth.views import login_limit, safe_next
from portal.db import db
from portal.errors import DomainError
from portal.web import OPEN_ENDPOINTS, current_person, show_form_error

bp = Blueprint("federation", __name__)

FLOWS_KEY, LINK_KEY = "federation_flows", "federation_link"
FLOW_LIFETIME = 600  # seconds between leaving for the provider and coming back
MAX_FLOWS = 3


@bp.record_once
def _setup(state) -> None:
    # Signing in must work when the portal is members-only and nobody is logged in yet.
    OPEN_ENDPOINTS.update({"federation.start", "federation.callback", "federation.link"})
    # Settings from the environment unless the app's config already has them (tests set them).
    config = state.app.config
    config.setdefault("FEDERATION_ALLOW_HTTP_LOOPBACK",
                      os.environ.get("PORTAL_FEDERATION_ALLOW_HTTP_LOOPBACK", "") in ("1", "true", "on"))
    raw_timeout = os.environ.get("PORTAL_FEDERATION_HTTP_TIMEOUT") or "5"
    try:
        config.setdefault("FEDERATION_HTTP_TIMEOUT", float(raw_timeout))
    except ValueError:
        raise RuntimeError(f"PORTAL_FEDERATION_HTTP_TIMEOUT must be a number of seconds, not {raw_timeout!r}") from None


@bp.app_template_global()
def company_sign_in_provider(company_id: int) -> CompanyIdentityProvider | None:
    """The company's identity provider, if any: its company page links to the settings."""
    return services.provider_for_company(db.session, company_id)


def directory() -> client.ProviderDirectory:
    """This app's cache of discovery documents and key sets."""
    ext = current_app.extensions
    if "federation_directory" not in ext:
        ext["federation_directory"] = client.ProviderDirectory(
            allow_http_loopback=bool(current_app.config.get("FEDERATION_ALLOW_HTTP_LOOPBACK", False)),
            timeout=float(current_app.config.get("FEDERATION_HTTP_TIMEOUT", 5.0)))
    return ext["federation_directory"]


def callback_url(company_id: int) -> str:
    """The redirect URI to register at the provider: the configured public address, never the
    request's Host header."""
    base = current_app.config["SERVER_NAME_FOR_MAIL"].rstrip("/")
    return base + url_for("federation.callback", company_id=company_id)


def _relying_party(provider: CompanyIdentityProvider) -> client.RelyingParty:
    return client.RelyingParty(issuer=provider.issuer, client_id=provider.client_id,
                               client_secret=services.client_secret(provider, current_app.config["SECRET_KEY"]),
                               redirect_uri=callback_url(provider.company_id))


def _failed(message: str, status: int = 400):
    return render_template("federation/failed.html", message=message, form=CompanySignInForm(formdata=None)), status


def _log_in(user) -> None:
    from portal.auth.session_auth import mark_authenticated

    login_user(user, remember=False)
    mark_authenticated("fed")


# --- Sign-in -----------------------------------------------------------------------------------

@bp.route("/login/company", methods=["GET", "POST"])
@login_limit
def start():
    """Email first: find the company's provider from the address and send the browser there."""
    form = CompanySignInForm()
    target = safe_next(request.values.get("next") or form.next.data)
    if current_user.is_authenticated:
        return redirect(target or url_for("home.index"))
    if form.validate_on_submit():
        provider = services.provider_for_email(db.session, form.email.data)
        if provider is None:
            form.email.errors = [*form.email.errors, "No company sign-in is set up for this address. "
                                 "Log in with your PartnerMesh password instead."]
        else:
            try:
                metadata = directory().discover(provider.issuer)
                url, flow = client.authorization_request(metadata, _relying_party(provider),
                                                         login_hint=form.email.data.strip())
            except DomainError as error:
                current_app.logger.warning("federation: provider of company %s unusable: %s",
                                           provider.company_id, error.message)
                form.form_errors.append("Your company's sign-in is not reachable right now. Please try again "
                                        "later or ask your company admin.")
            else:
                flows = {k: v for k, v in session.get(FLOWS_KEY, {}).items()
                         if v.get("created", 0) + FLOW_LIFETIME > time.time()}
                flows[flow["state"]] = {**flow, "company_id": provider.company_id, "next": target or "",
                                        "created": int(time.time())}
                session[FLOWS_KEY] = dict(sorted(flows.items(), key=lambda kv: kv[1]["created"])[-MAX_FLOWS:])
                return redirect(url)
    form.next.data = target or ""
    return render_template("federation/start.html", form=form), 400 if form.errors else 200


@bp.route("/login/company/callback/<int:company_id>")
def callback(company_id: int):
    params = request.args.to_dict()
    flows = dict(session.get(FLOWS_KEY, {}))
    flow = flows.pop(str(params.get("state", "")), None)  # single use, whatever the outcome
    session[FLOWS_KEY] = flows
    if flow is None or flow.get("created", 0) + FLOW_LIFETIME < time.time():
        return _failed("This sign-in was not started in this browser or took too long. Please start again.")
    if flow.get("company_id") != company_id:
        current_app.logger.warning("federation: response at the callback of company %s for a flow started "
                                   "with company %s", company_id, flow.get("company_id"))
        return _failed("The sign-in response came from a different identity provider than the one you "
                       "started with. Please start again.")
    provider = services.provider_for_company(db.session, company_id)
    if provider is None:
        return _failed("This company's sign-in is no longer set up.")
    try:
        claims = client.complete_authorization(directory(), _relying_party(provider), flow, params)
        outcome = services.sign_in_with_claims(db.session, provider, claims)
        if outcome.user is not None:
            auth_services.record_login(db.session, outcome.user)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        return _failed(error.message)
    if outcome.link_user is not None:
        role_claim = (provider.claim_mapping or {}).get("role_claim")
        session[LINK_KEY] = {
            "company_id": company_id, "user_id": outcome.link_user.id, "subject": str(claims["sub"]),
            "email": outcome.link_user.email, "next": flow.get("next", ""), "created": int(time.time()),
            "claims": {role_claim: claims[role_claim]} if role_claim and role_claim in claims else {},
        }
        return redirect(url_for("federation.link"))
    _log_in(outcome.user)
    flash("Welcome to PartnerMesh! Your profile starts with what your company shared." if outcome.provisioned
          else "You are signed in with your company's sign-in.", "success")
    return redirect(safe_next(flow.get("next")) or url_for("home.index"))


@bp.route("/login/company/link", methods=["GET", "POST"])
@login_limit
def link():
    """An account with the address exists: its owner enters its password once to link it."""
    pending = session.get(LINK_KEY)
    if not pending or pending.get("created", 0) + FLOW_LIFETIME < time.time():
        session.pop(LINK_KEY, None)
        flash("That sign-in has expired. Please start again.", "info")
        return redirect(url_for("auth.login"))
    provider = services.provider_for_company(db.session, pending["company_id"])
    if provider is None:
        session.pop(LINK_KEY, None)
        return _failed("This company's sign-in is no longer set up.")
    form = LinkAccountForm()
    if form.validate_on_submit():
        try:
            user = services.link_with_password(db.session, provider, user_id=pending["user_id"],
                                               subject=pending["subject"], claims=pending.get("claims", {}),
                                               password=form.password.data)
            auth_services.record_login(db.session, user)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error, "password")
        else:
            session.pop(LINK_KEY, None)
            _log_in(user)
            flash("Your account is linked: next time your company's sign-in is enough.", "success")
            return redirect(safe_next(pending.get("next")) or url_for("home.index"))
    return render_template("federation/link.html", form=form, email=pending["email"],
                           provider_label=provider.button_label or "your company's sign-in")


# --- Configuration -----------------------------------------------------------------------------

def _managed_company_or_abort(slug: str):
    from portal.auth.permissions import is_ecosystem_admin
    from portal.companies.membership import can_manage
    from portal.companies.services import company_by_slug

    company = company_by_slug(db.session, slug)
    if company is None:
        abort(404)
    if not can_manage(current_person(), company, is_ecosystem_admin()):
        abort(403, "Only this company's admins and ecosystem admins can set up its sign-in.")
    return company


def _form_for(provider: CompanyIdentityProvider | None) -> ProviderForm:
    if provider is None or request.method == "POST":
        return ProviderForm()
    domains = services.provider_domains(db.session, provider.id)
    mapping = provider.claim_mapping or {}
    return ProviderForm(formdata=None, issuer=provider.issuer, client_id=provider.client_id,
                        domains=", ".join(d.domain for d in domains),
                        sso_domains=", ".join(d.domain for d in domains if d.require_sso),
                        name=mapping.get("name", ""), job_title=mapping.get("job_title", ""),
                        headline=mapping.get("headline", ""), role_claim=mapping.get("role_claim", ""),
                        admin_values=", ".join(mapping.get("admin_values", [])), button_label=provider.button_label)


@bp.route("/companies/<slug>/sign-in", methods=["GET", "POST"])
@login_required
def configure(slug: str):
    company = _managed_company_or_abort(slug)
    provider = services.provider_for_company(db.session, company.id)
    form = _form_for(provider)
    if form.validate_on_submit():
        settings = services.ProviderSettings(
            issuer=form.issuer.data, client_id=form.client_id.data, client_secret=form.client_secret.data or "",
            domains=split_list(form.domains.data), sso_domains=split_list(form.sso_domains.data),
            claim_mapping={"name": form.name.data, "job_title": form.job_title.data,
                           "headline": form.headline.data, "role_claim": form.role_claim.data,
                           "admin_values": (form.admin_values.data or "").replace("\n", ",")},
            button_label=form.button_label.data)
        allow_loopback = bool(current_app.config.get("FEDERATION_ALLOW_HTTP_LOOPBACK", False))
        try:
            services.save_provider(db.session, company, settings, secret_key=current_app.config["SECRET_KEY"],
                                   discover=lambda issuer: directory().discover(issuer, force=True),
                                   allow_http_loopback=allow_loopback)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            flash(f"{company.name}'s sign-in is saved: the provider answered and its discovery document "
                  "matches.", "success")
            return redirect(url_for("federation.configure", slug=company.slug))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("federation/configure.html", company=company, provider=provider, form=form,
                           delete_form=DeleteProviderForm(formdata=None),
                           redirect_uri=callback_url(company.id)), status


@bp.route("/companies/<slug>/sign-in/delete", methods=["POST"])
@login_required
def delete(slug: str):
    company = _managed_company_or_abort(slug)
    form = DeleteProviderForm()
    if form.validate_on_submit() and services.delete_provider(db.session, company):
        db.commit()
        flash("The identity provider is removed. Its people log in with passwords again "
              "(those without one use “Forgot your password?”).", "info")
    return redirect(url_for("federation.configure", slug=company.slug))
