"""The home page: what PartnerMesh is, and a living picture of the ecosystem."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portal.companies.models import Company
from portal.companies.services import company_tags
from portal.db import db
from portal.directory.cards import card_template, person_cards
from portal.forums.listing import recent_threads
from portal.home.services import ecosystem_numbers, newest_companies, newest_people, popular_tags
from portal.profiles.visibility import viewer_for
from portal.web import current_person

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    person = current_person()
    viewer = viewer_for(db.session, current_user, person)
    companies = newest_companies(db.session)
    my_company = db.session.get(Company, person.company_id) if person and person.company_id else None
    return render_template(
        "home/index.html", numbers=ecosystem_numbers(db.session), companies=companies,
        company_tags=company_tags(db.session, [c.id for c in companies]),
        offers=popular_tags(db.session, viewer, "offer"), needs=popular_tags(db.session, viewer, "need"),
        cards=person_cards(db.session, newest_people(db.session), viewer), card_template=card_template(),
        person=person, my_company=my_company, threads=recent_threads(db.session, viewer))
