"""Company pages: profile, create/edit, members and invitations, verification."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from portal.companies import membership
from portal.companies.editing import (
    CompanyFields,
    create_company_for,
    fields_of,
    safe_website,
    set_verified,
    update_company,
)
from portal.companies.forms import ActionForm, CompanyForm, InviteForm, RoleForm, VerifyForm
from portal.companies.models import Company
from portal.companies.services import company_by_slug, company_domains, company_tags
from portal.db import db
from portal.errors import DomainError
from portal.profiles.models import Person
from portal.web import current_person, show_form_error

bp = Blueprint("companies", __name__)


@bp.app_template_global()
def tag_link_url(tag) -> str:
    """Where a tag links to: its tag page (or, if the tags feature is missing, the people directory)."""
    try:
        return url_for("tags.show", key=tag.key)
    except BuildError:
        return url_for("directory.people", tag=tag.name)


@bp.app_template_global()
def tag_suggest_url() -> str:
    """The autocomplete endpoint for tag inputs ('' turns autocomplete off when it does not exist)."""
    try:
        return url_for("tags.suggest")
    except BuildError:
        return ""


def is_ecosystem_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.is_ecosystem_admin)


def mail_url(endpoint: str, **values) -> str:
    """An absolute link for mail, on the configured base URL (never the request's Host header)."""
    return current_app.config["SERVER_NAME_FOR_MAIL"].rstrip("/") + url_for(endpoint, **values)


def _company_or_404(slug: str) -> Company:
    company = company_by_slug(db.session, slug)
    if company is None:
        abort(404)
    return company


def _require_manager(company: Company) -> None:
    if not membership.can_manage(current_person(), company, is_ecosystem_admin()):
        abort(403, "Only this company's admins can do that.")


def _member_or_404(company: Company, person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or person.company_id != company.id:
        abort(404)
    return person


def _fields(form: CompanyForm) -> CompanyFields:
    return CompanyFields(
        name=form.name.data or "", description=form.description.data or "", website=form.website.data or "",
        industry=form.industry.data or "", region=form.region.data or "", size=form.size.data or "",
        partner_type=form.partner_type.data or "other", offers=form.offers.data or "",
        needs=form.needs.data or "", email_domains=form.email_domains.data or "")




@bp.route("/companies/new", methods=["GET", "POST"])
@login_required
def new():
    person = current_person()
    if person is None:
        abort(403, "Create your profile first, then your company.")
    if person.company_id is not None:
        company = db.session.get(Company, person.company_id)
        flash("You already belong to a company. Leave it first to create a new one.", "info")
        return redirect(url_for("companies.show", slug=company.slug))
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = create_company_for(db.session, person, _fields(form))
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            flash(f"{company.name} is on PartnerMesh. You are its admin.", "success")
            return redirect(url_for("companies.show", slug=company.slug))
    return render_template("companies/form.html", form=form, company=None)


@bp.get("/companies/<slug>")
def show(slug: str):
    company = _company_or_404(slug)
    person = current_person()
    can_manage = membership.can_manage(person, company, is_ecosystem_admin())
    return render_template(
        "companies/show.html", company=company, members=membership.company_members(db.session, company.id),
        tags=company_tags(db.session, [company.id])[company.id], website=safe_website(company.website),
        domains=company_domains(db.session, company.id) if can_manage else [],
        can_manage=can_manage, is_ecosystem_admin=is_ecosystem_admin(), person=person, action_form=ActionForm())


@bp.route("/companies/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    company = _company_or_404(slug)
    _require_manager(company)
    form = CompanyForm(obj=None if request.method == "POST" else fields_of(db.session, company))
    if form.validate_on_submit():
        try:
            update_company(db.session, company, _fields(form))
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            flash("Company profile saved.", "success")
            return redirect(url_for("companies.show", slug=company.slug))
    return render_template("companies/form.html", form=form, company=company)


def _render_members(company: Company, invite_form: InviteForm | None = None, status: int = 200):
    return render_template(
        "companies/members.html", company=company, members=membership.company_members(db.session, company.id),
        invitations=membership.open_invitations(db.session, company.id), invite_form=invite_form or InviteForm(),
        action_form=ActionForm(), role_form=RoleForm, person=current_person()), status


@bp.get("/companies/<slug>/members")
@login_required
def members(slug: str):
    company = _company_or_404(slug)
    _require_manager(company)
    return _render_members(company)


@bp.post("/companies/<slug>/invite")
@login_required
def invite(slug: str):
    company = _company_or_404(slug)
    _require_manager(company)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            outcome = membership.invite_member(
                db.session, company, current_person(), form.email.data, role=form.role.data or "member",
                signup_url=mail_url("auth.signup"), company_url=mail_url("companies.show", slug=company.slug))
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            flash("They were added to the company and notified by email." if outcome == "added"
                  else "Invitation sent. They join the company when they sign up.", "success")
            return redirect(url_for("companies.members", slug=company.slug))
    return _render_members(company, form)


def _member_action(slug: str, person_id: int, action, success: str):
    company = _company_or_404(slug)
    _require_manager(company)
    if not ActionForm().validate_on_submit():
        abort(400)
    person = _member_or_404(company, person_id)
    try:
        action(company, person)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(success.format(name=person.name), "success")
    return redirect(url_for("companies.members", slug=company.slug))


@bp.post("/companies/<slug>/members/<int:person_id>/approve")
@login_required
def approve(slug: str, person_id: int):
    return _member_action(slug, person_id, lambda c, p: membership.approve_member(db.session, c, p),
                          "{name} is now a member.")


@bp.post("/companies/<slug>/members/<int:person_id>/decline")
@login_required
def decline(slug: str, person_id: int):
    return _member_action(slug, person_id, lambda c, p: membership.decline_member(db.session, c, p),
                          "The request of {name} was declined.")


@bp.post("/companies/<slug>/members/<int:person_id>/remove")
@login_required
def remove(slug: str, person_id: int):
    return _member_action(slug, person_id, lambda c, p: membership.remove_member(db.session, c, p),
                          "{name} was removed from the company.")


@bp.post("/companies/<slug>/members/<int:person_id>/role")
@login_required
def set_role(slug: str, person_id: int):
    form = RoleForm()
    role = form.role.data if form.validate_on_submit() else None
    if role is None:
        abort(400)
    return _member_action(slug, person_id, lambda c, p: membership.set_member_role(db.session, c, p, role),
                          "The role of {name} was changed.")


@bp.post("/companies/<slug>/join")
@login_required
def join(slug: str):
    company = _company_or_404(slug)
    person = current_person()
    if person is None or not ActionForm().validate_on_submit():
        abort(400)
    try:
        membership.request_to_join(db.session, person, company,
                                   members_url=mail_url("companies.members", slug=company.slug))
        db.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"You asked to join {company.name}. Its admins will confirm.", "success")
    return redirect(url_for("companies.show", slug=company.slug))


@bp.post("/companies/<slug>/leave")
@login_required
def leave(slug: str):
    company = _company_or_404(slug)
    person = current_person()
    if person is None or not ActionForm().validate_on_submit():
        abort(400)
    if person.company_id != company.id:
        flash(f"You are not a member of {company.name}.", "error")
        return redirect(url_for("companies.show", slug=company.slug))
    was_pending = person.membership_status == "pending"
    try:
        membership.leave_company(db.session, person)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash("Your request was withdrawn." if was_pending else f"You left {company.name}.", "success")
    return redirect(url_for("companies.show", slug=company.slug))


@bp.post("/companies/<slug>/verify")
@login_required
def verify(slug: str):
    company = _company_or_404(slug)
    if not is_ecosystem_admin():
        abort(403, "Only ecosystem admins can verify companies.")
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400)
    verified = form.verified.data == "1"
    set_verified(db.session, company, verified)
    db.commit()
    flash(f"{company.name} is {'now verified' if verified else 'no longer verified'}.", "success")
    if request.form.get("return_to") == "admin":
        return redirect(url_for("admin.index"))
    return redirect(url_for("companies.show", slug=company.slug))
