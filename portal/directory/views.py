"""The directory: people and companies with filters in a sidebar."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from portal.companies.models import INDUSTRIES, PARTNER_TYPES, company_regions
from portal.companies.services import company_tags
from portal.db import db
from portal.directory.cards import card_template, person_cards
from portal.directory.services import Filters, member_counts, parse_filters, search_companies, search_people
from portal.pagination import parse_page
from portal.profiles.visibility import viewer_for
from portal.web import current_person

bp = Blueprint("directory", __name__)


def _query(filters: Filters) -> dict[str, str]:
    """The active filters as query-string values (for pagination links)."""
    names = ("q", "tag", "industry", "region", "partner_type")
    return {name: getattr(filters, name) for name in names if getattr(filters, name)}


def _choices() -> dict:
    return {"industries": INDUSTRIES, "regions": company_regions(), "partner_types": PARTNER_TYPES}


@bp.get("/people")
def people():
    filters = parse_filters(request.args)
    viewer = viewer_for(db.session, current_user, current_person())
    page = search_people(db.session, filters, viewer, parse_page(request.args.get("page")))
    return render_template("directory/people.html", filters=filters, page=page, query=_query(filters),
                           cards=person_cards(db.session, page.items, viewer), card_template=card_template(),
                           **_choices())


@bp.get("/companies")
def companies():
    filters = parse_filters(request.args)
    page = search_companies(db.session, filters, parse_page(request.args.get("page")))
    ids = [c.id for c in page.items]
    return render_template("directory/companies.html", filters=filters, page=page, query=_query(filters),
                           tags=company_tags(db.session, ids), counts=member_counts(db.session, ids),
                           **_choices())
