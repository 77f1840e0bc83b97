"""Person cards for lists (directory, home page).

The profiles feature owns the card (portal.profiles.services.person_cards and the macro
person_card in templates/profiles/_macros.html). Until both exist, a minimal card built here
keeps list pages working; it honours visibility the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.models import Company
from portal.profiles.models import Person
from portal.profiles.services import person_tags
from portal.profiles.visibility import Viewer, visible_fields_for

PROFILE_CARD_TEMPLATE = "profiles/_macros.html"
FALLBACK_CARD_TEMPLATE = "directory/_person_card.html"


@dataclass
class FallbackCard:
    person: Person
    headline: str = ""
    company: Company | None = None
    tags: list = field(default_factory=list)  # [(kind, Tag)]


def _profile_cards_available() -> bool:
    from portal.profiles import services

    if not hasattr(services, "person_cards"):
        return False
    try:
        current_app.jinja_env.get_template(PROFILE_CARD_TEMPLATE)
    except TemplateNotFound:
        return False
    return True


def card_template() -> str:
    """The template holding the `person_card(card)` macro to use."""
    return PROFILE_CARD_TEMPLATE if _profile_cards_available() else FALLBACK_CARD_TEMPLATE


def person_cards(session: Session, persons: list[Person], viewer: Viewer) -> list:
    if _profile_cards_available():
        from portal.profiles.services import person_cards as profile_person_cards

        return profile_person_cards(session, persons, viewer)
    company_ids = {p.company_id for p in persons if p.company_id and p.membership_status == "active"}
    companies = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(company_ids or [0])))}
    tags = person_tags(session, [p.id for p in persons])
    cards = []
    for person in persons:
        visible = visible_fields_for(person, viewer)
        shown = [(kind, tag) for kind, name in (("offer", "offers"), ("skill", "skills"))
                 if name in visible for tag in tags[person.id][kind]][:5]
        cards.append(FallbackCard(person=person, headline=person.headline if "headline" in visible else "",
                                  company=companies.get(person.company_id), tags=shown))
    return cards
