"""Follow buttons, the personal feed, the list of what one follows and company feeds."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.auth.views import safe_next
from portal.db import db
from portal.errors import DomainError, NotFound
from portal.feeds import services
from portal.feeds.presenting import present
from portal.feeds.targets import describe_all
from portal.profiles.visibility import viewer_for
from portal.web import current_person

bp = Blueprint("feeds", __name__)


def _me():
    person = current_person()
    if person is None:
        abort(403, "Only people with a profile can follow.")
    return person


def _viewer():
    return viewer_for(db.session, current_user, current_person())


def _back(default: str):
    return redirect(safe_next(request.form.get("next")) or default)


@bp.post("/follow/<kind>/<int:target_id>")
@login_required
def follow(kind: str, target_id: int):
    person = _me()
    try:
        created = services.follow(db.session, person, kind, target_id, viewer=_viewer())
        db.commit()
    except NotFound as error:
        db.session.rollback()
        abort(404, error.message)
    except DomainError as error:
        db.session.rollback()
        abort(400, error.message)
    if created:
        flash("Following: what happens there now shows in your feed.", "success")
    return _back(url_for("feeds.following"))


@bp.post("/unfollow/<kind>/<int:target_id>")
@login_required
def unfollow(kind: str, target_id: int):
    person = _me()
    try:
        services.unfollow(db.session, person, kind, target_id)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        abort(400, error.message)
    flash("Unfollowed.", "info")
    return _back(url_for("feeds.following"))


def feed_args() -> tuple[str | None, list[str]]:
    """The cursor and filters of a feed request (?after=…&show=forum&show=documents)."""
    return request.args.get("after") or None, [v for v in request.args.getlist("show") if v]


def _page_or_400(read, *args, **kwargs):
    try:
        return read(db.session, *args, **kwargs)
    except DomainError as error:
        abort(400, error.message)


@bp.get("/feed")
@login_required
def personal():
    cursor, shown = feed_args()
    page = _page_or_400(services.personal_feed, _viewer(), cursor=cursor, verbs=shown)
    return render_template("feeds/personal.html", page=page, items=present(db.session, page.items),
                           filters=services.FEED_FILTERS, shown=shown)


@bp.get("/feed/following")
@login_required
def following():
    person = _me()
    targets = describe_all(db.session, services.follows_of(db.session, person.id), _viewer())
    return render_template("feeds/following.html", targets=targets)


@bp.get("/companies/<slug>/feed")
def company(slug: str):
    from portal.companies.services import company_by_slug

    found = company_by_slug(db.session, slug)
    if found is None:
        abort(404)
    cursor, shown = feed_args()
    page = _page_or_400(services.company_feed, _viewer(), found.id, cursor=cursor, verbs=shown)
    person = current_person()
    return render_template(
        "feeds/company.html", company=found, page=page, items=present(db.session, page.items),
        filters=services.FEED_FILTERS, shown=shown,
        following=services.is_following(db.session, person.id if person else None, "company", found.id))
