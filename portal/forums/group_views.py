"""Private groups (create, members, roles, leave) and categories (ecosystem admins)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from portal.auth.permissions import ecosystem_admin_required
from portal.db import db
from portal.forums import services
from portal.forums.access import is_group_admin
from portal.forums.blueprint import bp, viewer
from portal.forums.forms import ActionForm, CategoryForm, GroupForm, GroupMemberForm
from portal.forums.models import GROUP_ROLE_ADMIN, Category, ForumGroup
from portal.profiles.services import person_by_email, person_by_slug, persons_by_ids
from portal.text import clean_line
from portal.web import commit_flash_action, commit_form_action


def group_or_404(slug: str) -> ForumGroup:
    group = db.session.scalar(select(ForumGroup).where(ForumGroup.slug == slug))
    who = viewer()
    if group is None or not (who.is_ecosystem_admin or who.person_id in _member_ids(group)):
        abort(404)
    return group


def _member_ids(group: ForumGroup) -> set[int]:
    return {m.person_id for m in services.group_members(db.session, group.id)}


def _can_manage(group: ForumGroup) -> bool:
    who = viewer()
    return who.is_ecosystem_admin or is_group_admin(db.session, group.id, who.person_id)


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def new_group():
    who = viewer()
    if who.person_id is None:
        abort(403, "Complete your profile to create groups.")
    form = GroupForm()
    if form.validate_on_submit():
        done, group = commit_form_action(form, services.create_group, form.name.data, who.person_id,
                                         description=form.description.data or "")
        if done:
            flash("Group created. Add members from its members page.", "success")
            return redirect(url_for("forums.group_members", slug=group.slug))
    return render_template("forums/group_form.html", form=form), 400 if form.errors else 200


@bp.route("/g/<slug>/members", methods=["GET", "POST"])
@login_required
def group_members(slug: str):
    group = group_or_404(slug)
    manage = _can_manage(group)
    form = GroupMemberForm()
    if form.validate_on_submit():
        if not manage:
            abort(403, "Only group admins add members.")
        who = clean_line(form.who.data)
        person = person_by_email(db.session, who.lower()) if "@" in who else person_by_slug(db.session, who.lower())
        if person is None:
            form.who.errors = [*form.who.errors, "No member with that email address or profile address."]
        else:
            done, _ = commit_form_action(form, services.set_group_member, group, person.id, form.role.data)
            if done:
                flash(f"{person.name} is now in the group.", "success")
                return redirect(url_for("forums.group_members", slug=group.slug))
    members = services.group_members(db.session, group.id)
    people = persons_by_ids(db.session, [m.person_id for m in members])
    category = services.group_category(db.session, group)
    return render_template("forums/group_members.html", group=group, category=category, members=members,
                           people=people, form=form, manage=manage, action_form=ActionForm(),
                           admin_role=GROUP_ROLE_ADMIN), 400 if form.errors else 200


@bp.post("/g/<slug>/members/<int:person_id>/<action>")
@login_required
def group_member_action(slug: str, person_id: int, action: str):
    group = group_or_404(slug)
    me = viewer().person_id
    leaving = action == "remove" and person_id == me
    if action not in ("remove", "make-admin", "make-member") or not ActionForm().validate_on_submit():
        abort(400)
    if not leaving and not _can_manage(group):
        abort(403, "Only group admins manage members.")
    if person_id not in _member_ids(group):
        abort(404)
    role = {"remove": None, "make-admin": GROUP_ROLE_ADMIN, "make-member": "member"}[action]
    done, _ = commit_flash_action(services.set_group_member, group, person_id, role)
    if done and leaving:
        flash(f"You left {group.name}.", "success")
        return redirect(url_for("forums.index"))
    return redirect(url_for("forums.group_members", slug=group.slug))


@bp.route("/categories/new", methods=["GET", "POST"])
@ecosystem_admin_required
def new_category():
    form = CategoryForm()
    if form.validate_on_submit():
        done, category = commit_form_action(form, services.create_category, form.name.data,
                                            description=form.description.data or "", visibility=form.visibility.data)
        if done:
            return redirect(url_for("forums.category", slug=category.slug))
    return render_template("forums/category_form.html", form=form, category=None), 400 if form.errors else 200


@bp.route("/c/<slug>/edit", methods=["GET", "POST"])
@ecosystem_admin_required
def edit_category(slug: str):
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        abort(404)
    form = CategoryForm(obj=category)
    if category.group_id is not None:
        del form.visibility
    if form.validate_on_submit():
        done, _ = commit_form_action(form, services.update_category, category, name=form.name.data,
                                     description=form.description.data or "",
                                     visibility=form.visibility.data if "visibility" in form else None)
        if done:
            flash("Saved.", "success")
            return redirect(url_for("forums.category", slug=category.slug))
    return render_template("forums/category_form.html", form=form, category=category), 400 if form.errors else 200
