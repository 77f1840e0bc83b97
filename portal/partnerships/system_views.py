"""Back-end systems, their entitlements and grants to partners (/partnerships/systems/…), for the
owner company's admins. Routes on the partnerships blueprint."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import login_required
from wtforms import SelectChoice

from portal.companies.lookup import companies_by_ids
from portal.db import db
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.partnerships import grants, systems
from portal.partnerships.access import active_partner_ids, is_admin_of, systems_of
from portal.partnerships.forms import (
    KIND_CHOICES,
    ActionForm,
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
            try:
                system = systems.register_system(db.session, me, name=form.name.data, audience=form.audience.data,
                                                 description=form.description.data or "")
                db.commit()
            except DomainError as error:
                db.session.rollback()
                show_form_error(form, error)
            else:
                flash(f"{system.name} is registered. Define its entitlements next.", "success")
                return redirect(url_for("partnerships.system", system_id=system.id))
        status = 400
    return render_template("partnerships/systems.html", systems=systems_of(db.session, me.company_id),
                           form=form), status


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


def _render_system(system, *, edit_form=None, entitlement_form=None, grant_form=None, secret=None, status=200):
    edit_form = edit_form or EditSystemForm(prefix="system", formdata=None, obj=system)
    return render_template(
        "partnerships/system.html", system=system, entitlements=systems.entitlements_of(db.session, system.id),
        grants=grants.grants_of(db.session, system), edit_form=edit_form,
        entitlement_form=entitlement_form or EntitlementForm(prefix="entitlement", formdata=None),
        grant_form=grant_form or _grant_form(system), action_form=ActionForm(), secret=secret), status


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
    """Create the system's OAuth client (or replace its secret); the secret is shown on this
    response only, never flashed (the session cookie is signed, not encrypted)."""
    me = company_admin()
    system = _own_system(me, system_id)
    ActionForm().validate_on_submit() or abort(400)
    result = run_action(systems.create_client, me, system)
    if result is None:
        return redirect(url_for("partnerships.system", system_id=system.id))
    client_id, secret = result
    body, status = _render_system(system, secret={"client_id": client_id, "secret": secret})
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"  # the secret must not stay in any cache
    return response
