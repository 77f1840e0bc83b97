"""/search: the search page, and the similar-threads lookup used while a title is typed."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from portal.companies.services import company_by_slug
from portal.db import db
from portal.errors import DomainError
from portal.extensions import limiter
from portal.forums.listing import readable_categories
from portal.pagination import parse_page
from portal.profiles.visibility import viewer_for
from portal.search import services
from portal.search.backend import SearchUnavailable
from portal.search.documents import KINDS
from portal.search.query import MAX_QUERY_LENGTH, build_query
from portal.tags.services import normalize_tag_key
from portal.text import clean_line
from portal.web import current_person

bp = Blueprint("search", __name__)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@bp.get("/search")
@limiter.limit("120 per minute")
def results():
    args = request.args
    viewer = viewer_for(db.session, current_user, current_person())
    categories = readable_categories(db.session, viewer)
    company_slug = clean_line(args.get("company", ""))[:120]
    company = company_by_slug(db.session, company_slug) if company_slug else None
    form = {"q": args.get("q", "")[:MAX_QUERY_LENGTH + 50], "type": args.get("type", ""),
            "category": args.get("category", ""), "tag": clean_line(args.get("tag", ""))[:64],
            "company": company_slug, "from": args.get("from", "")[:20], "to": args.get("to", "")[:20]}
    found, error, unavailable = None, None, False
    try:
        category_id = _int(form["category"])
        if form["category"] and category_id not in {c.id for c in categories}:
            raise DomainError("Unknown category.", field="category")
        if company_slug and company is None:
            raise DomainError("Unknown company.", field="company")
        query = build_query(args.get("q", ""), kind=form["type"], category_id=category_id,
                            tag_key=normalize_tag_key(form["tag"]), company_id=company.id if company else None,
                            date_from=form["from"], date_to=form["to"], page=parse_page(args.get("page")))
        if query.text or query.has_filters:
            found = services.search(db.session, viewer, query)
    except DomainError as problem:
        error = problem.message
    except SearchUnavailable:
        unavailable = True
    status = 400 if error else 200
    return render_template("search/results.html", form=form, results=found, error=error, unavailable=unavailable,
                           kinds=KINDS, categories=categories, company=company), status


@bp.get("/search/similar")
@limiter.limit("60 per minute")
def similar():
    viewer = viewer_for(db.session, current_user, current_person())
    return jsonify(services.similar_threads(db.session, clean_line(request.args.get("title", "")), viewer))
