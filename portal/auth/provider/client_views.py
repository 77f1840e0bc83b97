"""Pages where company admins and ecosystem admins register OAuth clients (/oauth/clients)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.auth.provider import clients
from portal.auth.provider.blueprint import bp
from portal.auth.provider.forms import ActionForm, ClientForm, lines
from portal.auth.provider.settings import issuer
from portal.db import db
from portal.errors import DomainError
from portal.web import current_person, show_form_error


def _admin_company_id() -> int | None:
    """The company the current person administers, or None."""
    person = current_person()
    if person is None or person.company_id is None or person.membership_status != "active":
        return None
    return person.company_id if person.company_role == "admin" else None


def _may_manage() -> bool:
    return current_user.is_ecosystem_admin or _admin_company_id() is not None


def _visible_clients():
    if current_user.is_ecosystem_admin:
        return clients.all_clients(db.session)
    return clients.clients_of_company(db.session, _admin_company_id())


def _manageable(client) -> bool:
    return current_user.is_ecosystem_admin or (client.owner_company_id is not None
                                               and client.owner_company_id == _admin_company_id())


@bp.get("/oauth/clients")
@login_required
def client_list():
    if not _may_manage():
        abort(403)
    return render_template("provider/clients.html", clients=_visible_clients(), action_form=ActionForm(),
                           issuer=issuer())


@bp.route("/oauth/clients/new", methods=["GET", "POST"])
@login_required
def client_new():
    if not _may_manage():
        abort(403)
    form = ClientForm()
    if form.validate_on_submit():
        public = form.client_type.data == "public"
        person = current_person()
        try:
            client, secret = clients.register_client(
                db.session, name=form.name.data, owner_company_id=_admin_company_id(),
                redirect_uris=lines(form.redirect_uris.data), grant_types=form.grant_types.data or [],
                token_endpoint_auth_method="none" if public else form.auth_method.data,
                scopes=form.scopes.data or [], audience=form.audience.data,
                post_logout_redirect_uris=lines(form.post_logout_redirect_uris.data),
                id_token_signed_response_alg=form.id_token_alg.data,
                created_by_person_id=person.id if person else None)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            # The secret exists in the clear only in this response: not cached, not redirected to.
            response = render_template("provider/client_created.html", client=client, secret=secret,
                                       issuer=issuer())
            return response, 201, {"Cache-Control": "no-store"}
    return render_template("provider/client_form.html", form=form)


@bp.post("/oauth/clients/<client_id>/disable")
@login_required
def client_disable(client_id: str):
    client = clients.client_by_client_id(db.session, client_id)
    if client is None or not _manageable(client):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    clients.disable_client(db.session, client)
    db.commit()
    flash(f"{client.name} can no longer get tokens.", "success")
    return redirect(url_for("provider.client_list"))
