"""Tag pages: popular tags, one tag's people and companies, autocomplete, merging."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.permissions import ecosystem_admin_required, is_ecosystem_admin
from portal.db import db
from portal.errors import DomainError
from portal.extensions import limiter
from portal.pagination import paginate, parse_page
from portal.profiles.services import people_with_tag, person_cards
from portal.profiles.visibility import viewer_for
from portal.tags.forms import MergeForm
from portal.tags.services import (
    MAX_TAG_LENGTH,
    find_tag,
    merge_tags,
    popular_tags_statement,
    suggest_tags,
    tag_usage,
)
from portal.tags.usage import companies_with_tag
from portal.text import clean_line
from portal.web import current_person

bp = Blueprint("tags", __name__)
PER_PAGE = 60


@bp.get("/tags")
def index():
    prefix = clean_line(request.args.get("q", ""))[:MAX_TAG_LENGTH]
    page = paginate(db.session, popular_tags_statement(prefix), parse_page(request.args.get("page")),
                    PER_PAGE, scalars=False)
    return render_template("tags/index.html", page=page, prefix=prefix)


@bp.get("/tags/suggest")
@limiter.limit("120 per minute")
def suggest():
    q = request.args.get("q", "")
    if len(q) > MAX_TAG_LENGTH:
        return jsonify({"error": f"q can be at most {MAX_TAG_LENGTH} characters."}), 400
    tags = suggest_tags(db.session, q)
    counts = tag_usage(db.session, [t.id for t in tags])
    return jsonify([{"name": t.name, "key": t.key, "count": counts.get(t.id, 0)} for t in tags])


def _tag_or_404(key: str):
    tag = find_tag(db.session, key) if len(key) <= 4 * MAX_TAG_LENGTH else None
    if tag is None:
        abort(404)
    return tag


@bp.get("/tags/<path:key>")
def show(key: str):
    tag = _tag_or_404(key)
    if tag.key != key:  # an alias or another spelling: one address per tag
        return redirect(url_for("tags.show", key=tag.key), 301)
    viewer = viewer_for(db.session, current_user, current_person())
    people = people_with_tag(db.session, tag.id, viewer)
    all_people = list({p.id: p for kind in people for p in people[kind]}.values())
    cards = {card["person"].id: card for card in person_cards(db.session, all_people, viewer)}
    return render_template("tags/show.html", tag=tag, people={k: [cards[p.id] for p in v] for k, v in people.items()},
                           companies=companies_with_tag(db.session, tag.id),
                           merge_form=MergeForm() if is_ecosystem_admin() else None)


@bp.post("/tags/<path:key>/merge")
@ecosystem_admin_required
def merge(key: str):
    source = _tag_or_404(key)
    form = MergeForm()
    if not form.validate_on_submit():
        flash(" ".join(form.target.errors) or "The form was out of date. Please try again.", "error")
        return redirect(url_for("tags.show", key=source.key))
    target = find_tag(db.session, form.target.data)
    try:
        if target is None:
            raise DomainError(f"There is no tag “{clean_line(form.target.data)}”.")
        source_name = source.name
        merge_tags(db.session, source, target)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("tags.show", key=source.key))
    flash(f"“{source_name}” is merged into “{target.name}”.", "success")
    return redirect(url_for("tags.show", key=target.key))
