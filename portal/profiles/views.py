"""Profile pages: show, edit, avatar, connection requests."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from portal.db import db
from portal.errors import DomainError, NotFound
from portal.profiles import avatars, connections
from portal.profiles.editing import ProfileFields, person_links, update_profile
from portal.profiles.forms import ActionForm, AvatarForm, ConnectForm, ProfileForm
from portal.profiles.models import PRIVATE_FIELDS, TAG_KIND_FIELDS, Person
from portal.profiles.services import person_by_slug, person_tags
from portal.profiles.visibility import viewer_for, visible_fields_for
from portal.web import current_person, show_form_error

bp = Blueprint("profiles", __name__)


def _viewer():
    return viewer_for(db.session, current_user, current_person())


def _person_or_404(slug: str) -> Person:
    person = person_by_slug(db.session, slug)
    if person is None:
        abort(404)
    return person


def _my_person() -> Person:
    person = current_person()
    if person is None:
        abort(403, "Your account has no profile yet.")
    return person


def _avatar_folder():
    return avatars.avatar_folder(current_app.instance_path)


def _too_large_message() -> str:
    limit = current_app.config["AVATAR_MAX_BYTES"] // 1024
    return f"The upload is too large. Avatar images can be at most {limit} KB; please choose a smaller file."


@bp.errorhandler(413)
def _too_large(_error):
    message = (_too_large_message() if request.endpoint == "profiles.avatar"
               else "The form sent too much data. Please shorten it and try again.")
    return render_template("errors/error.html", code=413, title="Upload too large", message=message), 413


@bp.get("/people/<slug>")
def show(slug: str):
    from portal.companies.services import company_summary

    person = _person_or_404(slug)
    viewer = _viewer()
    visible = visible_fields_for(person, viewer)
    me = current_person()
    tags = person_tags(db.session, [person.id])[person.id]
    shown_tags = {kind: tags[kind] if TAG_KIND_FIELDS[kind] in visible else [] for kind in tags}
    company = company_summary(db.session, person.company_id) if person.membership_status == "active" else None
    return render_template(
        "profiles/show.html", person=person, visible=visible, tags=shown_tags, company=company,
        links=person_links(db.session, person.id) if "links" in visible else [],
        is_self=me is not None and me.id == person.id,
        state=connections.connection_state(db.session, me, person),
        connection_count=connections.connection_count(db.session, person.id),
        hidden_somewhere=any((person.visibility or {}).get(f, "members") != "public" for f in PRIVATE_FIELDS),
        connect_form=ConnectForm(), action_form=ActionForm())


def _fill(form: ProfileForm, person: Person) -> None:
    from portal.profiles.editing import MAX_LINKS

    tags = person_tags(db.session, [person.id])[person.id]
    for name in ("name", "headline", "bio", "location", "region", "job_title"):
        getattr(form, name).data = getattr(person, name)
    for kind, name in TAG_KIND_FIELDS.items():
        getattr(form, name).data = ", ".join(t.name for t in tags[kind])
    links = person_links(db.session, person.id)[:MAX_LINKS]
    for (label_field, url_field), link in zip(form.link_fields(), links, strict=False):
        label_field.data, url_field.data = link.label, link.url
    for name, select in form.visibility_fields().items():
        select.data = (person.visibility or {}).get(name, "members")


def _fields(form: ProfileForm) -> ProfileFields:
    return ProfileFields(
        name=form.name.data or "", headline=form.headline.data or "", bio=form.bio.data or "",
        location=form.location.data or "", region=form.region.data or "", job_title=form.job_title.data or "",
        skills=form.skills.data or "", interests=form.interests.data or "", offers=form.offers.data or "",
        needs=form.needs.data or "",
        links=[(label.data or "", url.data or "") for label, url in form.link_fields()],
        visibility={name: select.data or "" for name, select in form.visibility_fields().items()})




@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit():
    person = _my_person()
    form = ProfileForm()
    if request.method == "GET":
        _fill(form, person)
    elif form.validate_on_submit():
        try:
            update_profile(db.session, person, _fields(form))
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error, "link_url_1" if error.field == "links" else None)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("profiles.show", slug=person.slug))
    return render_template("profiles/edit.html", form=form, person=person, avatar_form=AvatarForm(),
                           action_form=ActionForm(), avatar_limit_kb=current_app.config["AVATAR_MAX_BYTES"] // 1024)


@bp.post("/profile/avatar")
@login_required
def avatar():
    person = _my_person()
    try:
        upload = request.files.get("avatar")
    except RequestEntityTooLarge:
        abort(413)
    form = AvatarForm()
    if not form.validate_on_submit():
        flash("The form was out of date. Please try again.", "error")
        return redirect(url_for("profiles.edit"))
    try:
        png = avatars.process_avatar(upload.read() if upload else b"", current_app.config["AVATAR_MAX_BYTES"])
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("profiles.edit"))
    old = person.avatar_file
    person.avatar_file = avatars.save_avatar(_avatar_folder(), png)
    db.commit()
    avatars.delete_avatar_file(_avatar_folder(), old)
    flash("Your new avatar is saved.", "success")
    return redirect(url_for("profiles.show", slug=person.slug))


@bp.post("/profile/avatar/remove")
@login_required
def remove_avatar():
    person = _my_person()
    if not ActionForm().validate_on_submit():
        abort(400)
    old, person.avatar_file = person.avatar_file, None
    db.commit()
    avatars.delete_avatar_file(_avatar_folder(), old)
    flash("Your avatar is removed.", "success")
    return redirect(url_for("profiles.edit"))


@bp.get("/avatars/<token>.png")
def avatar_image(token: str):
    path = avatars.avatar_path(_avatar_folder(), token)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", max_age=86400)


@bp.post("/people/<slug>/connect")
@login_required
def connect(slug: str):
    other = _person_or_404(slug)
    me = _my_person()
    form = ConnectForm()
    if not form.validate_on_submit():
        flash(" ".join(form.message.errors) or "The form was out of date. Please try again.", "error")
        return redirect(url_for("profiles.show", slug=other.slug))
    try:
        connected = connections.request_connection(db.session, me, other, form.message.data or "")
        db.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"You are now connected with {other.name}." if connected
              else f"Your request was sent to {other.name}.", "success")
    return redirect(url_for("profiles.show", slug=other.slug))


@bp.post("/people/<slug>/withdraw")
@login_required
def withdraw(slug: str):
    other = _person_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    connections.withdraw_request(db.session, _my_person(), other)
    db.commit()
    flash("Your connection request is withdrawn.", "success")
    return redirect(url_for("profiles.show", slug=other.slug))


@bp.get("/connections/requests")
@login_required
def requests():
    me = _my_person()
    return render_template("profiles/requests.html", incoming=connections.incoming_requests(db.session, me),
                           outgoing=connections.outgoing_requests(db.session, me), action_form=ActionForm())


@bp.post("/connections/requests/<int:request_id>")
@login_required
def answer(request_id: int):
    me = _my_person()
    if not ActionForm().validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    if decision not in ("accept", "decline"):
        abort(400, "Please accept or decline the request.")
    try:
        sender = connections.answer_request(db.session, me, request_id, accept=decision == "accept")
        db.commit()
    except NotFound as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"You are now connected with {sender.name}." if decision == "accept"
              else f"You declined {sender.name}'s request.", "success")
    return redirect(url_for("profiles.requests"))
