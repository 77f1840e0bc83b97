"""Back-end systems, their entitlements and grants to partners (/partnerships/systems/…), for the
owner company's admins. Routes on the partnerships blueprint."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import login_required
from wtforms import SelectChoice

from portal.api.auth import api_audience
from portal.companies.lookup import companies_by_ids
from portal.db import db
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.partnerships import grants, systems
from portal.partnerships.access import active_partner_ids, is_admin_of, systems_of
from portal.partnerships.forms import (
    KIND_CHOICES,
    ActionForm,
    ApiScopesForm,
    EditSystemForm,
    EntitlementForm,
    GrantForm,
    SystemForm,
)
from portal.partnerships.views import bp, company_admin, run_action
from portal.web import show_form_error


@bp.route("/systems", methods=["GET", "POST"])
@login_required
def systems_index():
    me = company_admin()
    form = SystemForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            scopes = form.api_scopes.data or []
            try:
                system = systems.register_system(db.session, me, name=form.name.data, audience=form.audience.data,
                                                 description=form.description.data or "")
                # API access needs the client, whose secret exists only in this response.
                created = systems.create_client(db.session, me, system, scopes=scopes) if scopes else None
                db.commit()
            except DomainError as error:
                db.session.rollback()
                show_form_error(form, error)
            else:
                if created is not None:
                    return _secret_response(system, created, 201)
                flash(f"{system.name} is registered. Define its entitlements next.", "success")
                return redirect(url_for("partnerships.system", system_id=system.id))
        status = 400
    return render_template("partnerships/systems.html", systems=systems_of(db.session, me.company_id),
                           form=form), status


def _secret_response(system, client: tuple[str, str], status: int = 200):
    """The system's page with its client secret, shown on this response only (never flashed:
    the session cookie is signed, not encrypted) and kept out of every cache."""
    client_id, secret = client
    body, _status = _render_system(system, secret={"client_id": client_id, "secret": secret})
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_system(me, system_id: int):
    try:
        system = systems.system_by_id(db.session, system_id)
    except NotFound:
        abort(404)
    if not is_admin_of(me, system.company_id):
        abort(403, "Only the admins of the company that runs this system can manage it.")
    return system


def _grant_form(system) -> GrantForm:
    form = GrantForm(prefix="grant")
    form.entitlement.choices = [SelectChoice(e.id, e.name) for e in systems.entitlements_of(db.session, system.id)]
    partners = companies_by_ids(db.session, active_partner_ids(db.session, system.company_id))
    form.target.choices = ([SelectChoice(f"kind:{c.value}", f"Every active {c.label.lower()} partner")
                            for c in KIND_CHOICES]
                           + [SelectChoice(f"company:{c.id}", c.name)
                              for c in sorted(partners.values(), key=lambda c: c.name)])
    return form


def _render_system(system, *, edit_form=None, entitlement_form=None, grant_form=None, scopes_form=None, secret=None,
                   status=200):
    edit_form = edit_form or EditSystemForm(prefix="system", formdata=None, obj=system)
    api_scopes = systems.client_api_scopes(db.session, system)
    if scopes_form is None:
        scopes_form = ApiScopesForm(prefix="scopes", formdata=None)
        scopes_form.api_scopes.data = api_scopes or []
    return render_template(
        "partnerships/system.html", system=system, entitlements=systems.entitlements_of(db.session, system.id),
        grants=grants.grants_of(db.session, system), edit_form=edit_form,
        entitlement_form=entitlement_form or EntitlementForm(prefix="entitlement", formdata=None),
        grant_form=grant_form or _grant_form(system), scopes_form=scopes_form, api_scopes=api_scopes,
        api_resource=api_audience(), action_form=ActionForm(), secret=secret), status


def _form_action(system, form, form_key: str, action, success: str):
    """Validate `form`, run `action()` and commit, or re-render the page with the errors (400)."""
    if form.validate_on_submit():
        try:
            action()
            db.commit()
        except PermissionDenied as error:
            db.session.rollback()
            abort(403, error.message)
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            flash(success, "success")
            return redirect(url_for("partnerships.system", system_id=system.id))
    return _render_system(system, **{form_key: form}, status=400)


@bp.route("/systems/<int:system_id>", methods=["GET", "POST"])
@login_required
def system(system_id: int):
    me = company_admin()
    system = _own_system(me, system_id)
    if request.method == "GET":
        return _render_system(system)
    form = EditSystemForm(prefix="system")
    return _form_action(system, form, "edit_form", lambda: systems.update_system(
        db.session, me, system, name=form.name.data, description=form.description.data or ""), "System saved.")


@bp.post("/systems/<int:system_id>/entitlements")
@login_required
def define_entitlement(system_id: int):
    me = company_admin()
    system = _own_system(me, system_id)
    form = EntitlementForm(prefix="entitlement")
    return _form_action(system, form, "entitlement_form", lambda: systems.define_entitlement(
        db.session, me, system, name=form.name.data, description=form.description.data or ""),
        "Entitlement defined. Grant it to partners below.")


@bp.post("/systems/<int:system_id>/entitlements/<int:entitlement_id>/remove")
@login_required
def remove_entitlement(system_id: int, entitlement_id: int):
    me = company_admin()
    system = _own_system(me, system_id)
    ActionForm().validate_on_submit() or abort(400)
    try:
        entitlement = systems.entitlement_by_id(db.session, system, entitlement_id)
    except NotFound:
        abort(404)
    if run_action(systems.remove_entitlement, me, system, entitlement) is not None:
        flash(f"{entitlement.name} removed; tokens that carried it read as inactive.", "success")
    return redirect(url_for("partnerships.system", system_id=system.id))


@bp.post("/systems/<int:system_id>/grants")
@login_required
def add_grant(system_id: int):
    me = company_admin()
    system = _own_system(me, system_id)
    form = _grant_form(system)

    def action():
        kind, company_id = form.target_values()
        entitlement = systems.entitlement_by_id(db.session, system, form.entitlement.data)
        grants.grant(db.session, me, system, entitlement, kind=kind, company_id=company_id)

    return _form_action(system, form, "grant_form", action, "Granted.")


@bp.post("/systems/<int:system_id>/grants/<int:grant_id>/revoke")
@login_required
def revoke_grant(system_id: int, grant_id: int):
    me = company_admin()
    system = _own_system(me, system_id)
    ActionForm().validate_on_submit() or abort(400)
    if run_action(grants.revoke, me, system, grant_id) is not None:
        flash("Grant removed; tokens that carried it read as inactive.", "success")
    return redirect(url_for("partnerships.system", system_id=system.id))


@bp.post("/systems/<int:system_id>/client")
@login_required
def client(system_id: int):
    """Create the system's OAuth client with the API scopes chosen in the form (or replace the
    secret of the one it has); the secret is shown on this response only."""
    me = company_admin()
    system = _own_system(me, system_id)
    if systems.client_api_scopes(db.session, system) is not None:  # a new secret: only a button
        ActionForm().validate_on_submit() or abort(400)
        scopes = []
    else:
        form = ApiScopesForm(prefix="scopes")
        if not form.validate_on_submit():
            return _render_system(system, scopes_form=form, status=400)
        scopes = form.api_scopes.data or []
    result = run_action(systems.create_client, me, system, scopes=scopes)
    if result is None:
        return redirect(url_for("partnerships.system", system_id=system.id))
    return _secret_response(system, result)


@bp.post("/systems/<int:system_id>/scopes")
@login_required
def client_scopes(system_id: int):
    """Change which API scopes the system's client may ask for (audit-logged)."""
    me = company_admin()
    system = _own_system(me, system_id)
    form = ApiScopesForm(prefix="scopes")
    return _form_action(system, form, "scopes_form", lambda: systems.set_api_scopes(
        db.session, me, system, form.api_scopes.data or []), "API scopes saved.")
