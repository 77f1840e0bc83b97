"""The hovercard fragment and the template helpers that put clouds on pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, make_response
from flask_login import current_user

from portal.clouds import services
from portal.clouds.events import cache_of
from portal.companies.services import company_summary
from portal.db import db
from portal.forums.access import can_read, viewer_scopes
from portal.profiles.models import MEMBERSHIP_ACTIVE
from portal.profiles.services import person_by_slug
from portal.profiles.visibility import viewer_for, visible_fields_for
from portal.web import current_person

bp = Blueprint("clouds", __name__)
CARD_MAX_AGE = 60  # seconds: short, since the card depends on who is looking and what they wrote lately
CARD_TERMS, PAGE_TERMS = 12, 30


def _viewer():
    """This request's viewer and readable scopes, looked up once."""
    if "cloud_viewer" not in g:
        viewer = viewer_for(db.session, current_user, current_person())
        g.cloud_viewer = (viewer, viewer_scopes(db.session, viewer))
    return g.cloud_viewer


@bp.get("/people/<slug>/card")
def card(slug: str):
    person = person_by_slug(db.session, slug)
    if person is None:
        abort(404)
    viewer, scopes = _viewer()
    visible = visible_fields_for(person, viewer)
    company = company_summary(db.session, person.company_id) if person.membership_status == MEMBERSHIP_ACTIVE \
        else None
    cloud = services.person_cloud(db.session, person, viewer, limit=CARD_TERMS, scopes=scopes,
                                  cache=cache_of(current_app))
    # Rendered without the app's context processors: they fill in the page layout (navigation
    # badges, the current person), which a fragment does not have, at a few queries per request.
    html = current_app.jinja_env.get_template("clouds/card.html").render(
        person=person, company=company, cloud=cloud,
        headline=person.headline if "headline" in visible else "",
        job_title=person.job_title if "job_title" in visible else "")
    response = make_response(html)
    # Private: the card differs per viewer, so shared caches must not keep it.
    response.headers["Cache-Control"] = f"private, max-age={CARD_MAX_AGE}"
    response.headers["Vary"] = "Cookie"
    return response


@bp.app_template_global()
def person_tag_cloud(person, limit: int = PAGE_TERMS):
    """The person's cloud as the current visitor may see it (for profile pages)."""
    viewer, scopes = _viewer()
    return services.person_cloud(db.session, person, viewer, limit=limit, scopes=scopes, cache=cache_of(current_app))


@bp.app_template_global()
def company_tag_cloud(company, limit: int = PAGE_TERMS):
    viewer, _ = _viewer()
    return services.company_cloud(db.session, company, viewer, limit=limit, cache=cache_of(current_app))


@bp.app_template_global()
def category_tag_cloud(category, limit: int = 40):
    viewer, _ = _viewer()
    if not can_read(db.session, category, viewer):
        return []
    return services.category_cloud(db.session, category, limit=limit, cache=cache_of(current_app))


@bp.app_template_global()
def ecosystem_tag_cloud(limit: int = 40):
    viewer, _ = _viewer()
    return services.ecosystem_cloud(db.session, viewer, limit=limit, cache=cache_of(current_app))
