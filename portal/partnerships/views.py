"""Partnership pages (/partnerships/): my company's partnerships, proposing one, answering and
ending, and the audit log. Systems, entitlements and grants are in system_views.py (same blueprint).

Ecosystem admins act for any company with `?for_company=<id>` on these pages (its partnerships page,
propose, accept, decline, withdraw, end); the services record that they did so."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from wtforms import SelectChoice

from portal.auth.permissions import is_ecosystem_admin
from portal.companies.lookup import company_by_id, company_choices
from portal.db import db
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.introductions.company_links import accepted_introductions_of_company
from portal.pagination import parse_page
from portal.partnerships import audit, services
from portal.partnerships.access import is_admin_of
from portal.partnerships.forms import ActionForm, ProposeForm
from portal.web import current_person, show_form_error

bp = Blueprint("partnerships", __name__, url_prefix="/partnerships")


@bp.app_template_global()
def company_active_partnerships(company_id: int) -> list[services.PartnershipRow]:
    """Active partnerships of a company, for its company page (templates/partnerships/_company_section.html)."""
    return services.company_partnerships(db.session, company_id).active


def mail_url(endpoint: str, **values) -> str:
    """An absolute link for mail, on the configured base URL (never the request's Host header)."""
    return current_app.config["SERVER_NAME_FOR_MAIL"].rstrip("/") + url_for(endpoint, **values)


def member():
    """The logged-in person with an active company membership, else 403."""
    person = current_person()
    if person is None or person.company_id is None or person.membership_status != "active":
        abort(403, "Partnerships belong to companies: join or create your company first.")
    return person


def company_admin():
    """The logged-in admin of a company, else 403."""
    person = member()
    if not is_admin_of(person, person.company_id):
        abort(403, "Only your company's admins can do that.")
    return person


@dataclass
class Acting:
    """Who acts on the partnership pages, for which company, and whether as an ecosystem admin."""

    person: object
    company_id: int
    as_ecosystem_admin: bool

    @property
    def for_company(self) -> int | None:
        """The `for_company` URL parameter that keeps an ecosystem admin's pages on this company."""
        return self.company_id if self.as_ecosystem_admin else None


def acting_admin() -> Acting:
    """A company admin for their own company, or an ecosystem admin for `?for_company=<id>`."""
    wanted = request.args.get("for_company", type=int)
    if wanted is not None and is_ecosystem_admin():
        person = current_person()
        if person is None:
            abort(403, "Create your profile first: what you do here is recorded under your name.")
        if company_by_id(db.session, wanted) is None:
            abort(404)
        return Acting(person, wanted, True)
    me = company_admin()
    if wanted is not None and wanted != me.company_id:
        abort(403, "Only your company's admins can do that.")
    return Acting(me, me.company_id, False)


def _back(acting: Acting):
    return redirect(url_for("partnerships.index", for_company=acting.for_company))


def run_action(action, *args, **kwargs):
    """Run a service and commit; PermissionDenied → 403, NotFound → 404, other DomainErrors are flashed."""
    try:
        result = action(db.session, *args, **kwargs)
        db.commit()
    except PermissionDenied as error:
        db.session.rollback()
        abort(403, error.message)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return None
    return result


@bp.get("/")
@login_required
def index():
    if request.args.get("for_company", type=int) is not None and is_ecosystem_admin():
        acting = acting_admin()
        company_id, is_admin = acting.company_id, True
    else:
        me = member()
        acting = Acting(me, me.company_id, False)
        company_id, is_admin = me.company_id, is_admin_of(me, me.company_id)
    lists = services.company_partnerships(db.session, company_id)
    return render_template("partnerships/index.html", lists=lists, company=company_by_id(db.session, company_id),
                           is_admin=is_admin, acting_for=acting.for_company, action_form=ActionForm())


def _propose_form(acting: Acting) -> ProposeForm:
    form = ProposeForm()
    form.company.choices = [SelectChoice(0, "Choose a company…")] + [
        SelectChoice(cid, name) for cid, name in company_choices(db.session, exclude_id=acting.company_id)]
    introductions = accepted_introductions_of_company(db.session, acting.company_id)
    names = dict(company_choices(db.session))
    form.introduction.choices = [SelectChoice("", "None")] + [
        SelectChoice(i.id, f"{i.own_person_name} and {i.other_person_name} ({names.get(i.other_company_id, '?')})"
               + (f", {i.decided_at.strftime('%d %b %Y')}" if i.decided_at else ""))
        for i in introductions]
    if request.method == "GET":
        preset = request.args.get("company", type=int)
        if preset:
            form.company.data = preset
    return form


@bp.route("/propose", methods=["GET", "POST"])
@login_required
def propose():
    acting = acting_admin()
    form = _propose_form(acting)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                partnership = services.propose(db.session, acting.person, form.company.data or None, form.kind.data,
                                               form.note.data or "", introduction_id=form.introduction.data,
                                               link=mail_url("partnerships.index"), company_id=acting.company_id,
                                               as_ecosystem_admin=acting.as_ecosystem_admin)
                db.commit()
            except DomainError as error:
                db.session.rollback()
                show_form_error(form, error)
            else:
                flash(f"Proposal sent. Their admins accept or decline it "
                      f"({partnership.kind_label.lower()} partnership).", "success")
                return _back(acting)
        status = 400
    return render_template("partnerships/propose.html", form=form, acting_for=acting.for_company,
                           company=company_by_id(db.session, acting.company_id)), status


@bp.post("/<int:partnership_id>/accept")
@login_required
def accept(partnership_id: int):
    acting = acting_admin()
    ActionForm().validate_on_submit() or abort(400)
    if run_action(services.answer, acting.person, partnership_id, True, link=mail_url("partnerships.index"),
                  as_ecosystem_admin=acting.as_ecosystem_admin):
        flash("Partnership accepted.", "success")
    return _back(acting)


@bp.post("/<int:partnership_id>/decline")
@login_required
def decline(partnership_id: int):
    acting = acting_admin()
    ActionForm().validate_on_submit() or abort(400)
    if run_action(services.answer, acting.person, partnership_id, False, link=mail_url("partnerships.index"),
                  as_ecosystem_admin=acting.as_ecosystem_admin):
        flash("Proposal declined.", "success")
    return _back(acting)


@bp.post("/<int:partnership_id>/end")
@login_required
def end(partnership_id: int):
    acting = acting_admin()
    ActionForm().validate_on_submit() or abort(400)
    partnership = run_action(services.end, acting.person, partnership_id, link=mail_url("partnerships.index"),
                             company_id=acting.company_id, as_ecosystem_admin=acting.as_ecosystem_admin)
    if partnership is not None:
        flash("Proposal withdrawn." if partnership.answered_at is None else
              "Partnership ended. Entitlements it gave are withdrawn from new tokens.", "success")
    return _back(acting)


@bp.get("/audit")
@login_required
def audit_log():
    """Company admins see their company's entries; ecosystem admins see everything."""
    person = current_person()
    if is_ecosystem_admin():
        company_id = request.args.get("company", type=int)
    elif person is not None and is_admin_of(person, person.company_id):
        company_id = person.company_id
    else:
        abort(403, "Only company admins and ecosystem admins can read the audit log.")
    action = request.args.get("action", "")
    action = action if action in audit.ACTIONS else None
    page = audit.audit_page(db.session, company_id=company_id, number=parse_page(request.args.get("page")),
                            action=action)
    return render_template("partnerships/audit.html", page=page, actors=audit.actors_of(db.session, page.items),
                           actions=audit.ACTIONS, action=action or "", label=audit.action_label,
                           company=company_by_id(db.session, company_id))
