"""Turn a page of activities into what a feed template shows: who did it, where it links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from portal.feeds.models import Activity
from portal.feeds.services import FEED_FILTERS


@dataclass(frozen=True)
class FeedItem:
    id: int
    verb: str
    family: str
    family_label: str
    title: str
    summary: str
    url: str
    external: bool
    actor_name: str | None
    actor_slug: str | None
    company_name: str | None
    company_slug: str | None
    system: str | None
    created_at: datetime


def present(session: Session, activities: list[Activity]) -> list[FeedItem]:
    from portal.companies.services import company_summaries
    from portal.profiles.services import persons_by_ids

    people = persons_by_ids(session, [a.actor_person_id for a in activities if a.actor_person_id])
    companies = company_summaries(session, {c for a in activities for c in (a.company_id, a.actor_company_id) if c})
    items = []
    for activity in activities:
        actor = people.get(activity.actor_person_id) if activity.actor_person_id else None
        company = companies.get(activity.company_id or activity.actor_company_id or 0)
        items.append(FeedItem(
            id=activity.id, verb=activity.verb, family=activity.verb_family,
            family_label=FEED_FILTERS.get(activity.verb_family, activity.verb_family),
            title=activity.title, summary=activity.summary, url=activity.url,
            external=activity.url.startswith(("http://", "https://")),
            actor_name=actor.name if actor else None, actor_slug=actor.slug if actor else None,
            company_name=company[0] if company else None, company_slug=company[1] if company else None,
            system=activity.actor_client_id, created_at=activity.created_at))
    return items
