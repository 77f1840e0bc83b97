"""Fill a MatchingGraph from the database, all at once or for a few touched rows.

Everything is read through other features' read functions (profiles/companies/auth/tags
graph_export, forums.interactions), one query per kind. Private groups' forum activity is left
out (include_groups=False): a recommendation or reason must never rest on what only a group sees.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from portal.matching.graph import COMPANY, PERSON, TAG, MatchingGraph


def _interactions(session: Session, **filters):
    from portal.forums.interactions import person_interactions

    return person_interactions(session, include_groups=False, **filters)


def build_graph(session: Session, *, until: datetime | None = None,
                half_life_days: float | None = None) -> MatchingGraph:
    """The whole graph from the database; with `until`, only what existed before then."""
    from portal.companies.graph_export import company_rows, company_tag_rows
    from portal.profiles.graph_export import connection_rows, person_rows, person_tag_rows
    from portal.tags.graph_export import tag_names

    started = time.perf_counter()
    kwargs = {"half_life_days": half_life_days} if half_life_days else {}
    graph = MatchingGraph(reference=until, **kwargs)
    for tag_id, name in tag_names(session).items():
        graph.ensure_tag(tag_id, name)
    for row in company_rows(session):
        graph.ensure_company(row.id, name=row.name, slug=row.slug, region=row.region, industry=row.industry,
                             partner_type=row.partner_type)
    company_tags: dict[int, list] = defaultdict(list)
    for company_id, tag_id, kind in company_tag_rows(session):
        company_tags[company_id].append((tag_id, kind, "public"))
    for company_id, tags in company_tags.items():
        graph.set_tags((COMPANY, company_id), tags)
    for row in person_rows(session, until=until):
        graph.set_person(row.id, user_id=row.user_id, company_id=row.company_id, region=row.region)
    person_tags: dict[int, list] = defaultdict(list)
    for row in person_tag_rows(session):
        person_tags[row.person_id].append((row.tag_id, row.kind, row.level))
    for person_id, tags in person_tags.items():
        graph.set_tags((PERSON, person_id), tags)
    _load_topics(session, graph, until=until)
    for a, b, _at in connection_rows(session, until=until):
        graph.add_connection(a, b)
    by_post: dict[int, list] = defaultdict(list)
    for item in _interactions(session, until=until):
        by_post[item.post_id].append((item.actor_id, item.target_id, graph.interaction_weight(item.kind, item.at)))
    for post_id, contributions in by_post.items():
        graph.set_post_interactions(post_id, contributions)
    refresh_staff(session, graph)
    graph.built_at = until or graph.reference
    graph.build_seconds = time.perf_counter() - started
    return graph


def _load_topics(session: Session, graph: MatchingGraph, *, until: datetime | None = None,
                 person_ids: Iterable[int] | None = None, tag_ids: Iterable[int] | None = None) -> None:
    from portal.forums.interactions import person_topics

    topics: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for use in person_topics(session, until=until, person_ids=person_ids, tag_ids=tag_ids, include_groups=False):
        # More posts on a topic weigh more, with diminishing returns; the last post's age decays it.
        topics[use.person_id][use.tag_id] += math.log1p(use.posts) * graph.decay(use.last_at)
    from portal.tags.graph_export import tag_names

    _ensure_tags(session, graph, {tag_id for items in topics.values() for tag_id in items}, tag_names)
    targets = set(person_ids) if person_ids is not None else set(topics)
    only = set(tag_ids) if tag_ids is not None else None
    for person_id in targets:
        graph.set_topics(person_id, dict(topics.get(person_id, {})), only=only)


def ecosystem_staff(session: Session) -> tuple[set[int], set[int]]:
    """The ecosystem owner's people and companies: every ecosystem admin and everyone at the owner
    company (the admin console's setting; without one, the companies the ecosystem admins work for,
    like the demo's "PartnerMesh Platform Inc."). Bridging ranks these hubs slightly lower."""
    from portal.auth.graph_export import ecosystem_admin_user_ids
    from portal.profiles.graph_export import person_ids_of_users, person_rows

    admin_people = set(person_ids_of_users(session, ecosystem_admin_user_ids(session)).values())
    companies: set[int] = set()
    try:
        from portal.admin.owner import owner_company_id
    except ImportError:
        owner = None
    else:
        owner = owner_company_id(session)
    if owner is not None:
        companies = {owner}
    elif admin_people:
        companies = {row.company_id for row in person_rows(session, person_ids=admin_people) if row.company_id}
    staff = set(admin_people)
    if companies:
        staff |= {row.id for row in person_rows(session) if row.company_id in companies}
    return staff, companies


# --- incremental refreshes: re-read only what an event touched ------------------------------------

def refresh_posts(session: Session, graph: MatchingGraph, post_ids: Iterable[int]) -> None:
    """Re-read the interactions of these posts; a post that is gone (deleted, hidden, moved into a
    private group) contributes nothing any more."""
    ids = set(post_ids)
    if not ids:
        return
    by_post: dict[int, list] = {post_id: [] for post_id in ids}
    for item in _interactions(session, post_ids=ids):
        by_post[item.post_id].append((item.actor_id, item.target_id, graph.interaction_weight(item.kind, item.at)))
    unknown = {pid for items in by_post.values() for a, b, _ in items for pid in (a, b)
               if not graph.has((PERSON, pid))}
    if unknown:  # people this process has not heard of yet (their event may still be on its way)
        refresh_people(session, graph, unknown)
    for post_id, contributions in by_post.items():
        graph.set_post_interactions(post_id, contributions)


def refresh_topics(session: Session, graph: MatchingGraph, person_ids: Iterable[int]) -> None:
    ids = {pid for pid in person_ids if pid is not None}
    if ids:
        _load_topics(session, graph, person_ids=ids)


def refresh_thread_topics(session: Session, graph: MatchingGraph, author_threads: set[tuple[int, int]]) -> None:
    """After new or changed posts: re-read each author's topics among their thread's tags only (a
    prolific author's whole topic list is a thousand rows; one post touches a few tags)."""
    from portal.forums.interactions import thread_tag_ids

    tags_of = thread_tag_ids(session, {thread for _, thread in author_threads})
    by_tags: dict[frozenset[int], set[int]] = defaultdict(set)
    for author, thread in author_threads:
        if tags_of.get(thread):
            by_tags[frozenset(tags_of[thread])].add(author)
    for tag_ids, authors in by_tags.items():
        _load_topics(session, graph, person_ids=authors, tag_ids=tag_ids)


def refresh_people(session: Session, graph: MatchingGraph, person_ids: Iterable[int]) -> None:
    from portal.profiles.graph_export import connection_rows, person_rows, person_tag_rows
    from portal.tags.graph_export import tag_names

    ids = set(person_ids)
    if not ids:
        return
    rows = {row.id: row for row in person_rows(session, person_ids=ids)}
    for person_id in ids - set(rows):
        graph.remove_person(person_id)
    companies = {row.company_id for row in rows.values() if row.company_id}
    missing = [cid for cid in companies if not graph.has((COMPANY, cid))]
    if missing:
        refresh_companies(session, graph, missing)
    for row in rows.values():
        graph.set_person(row.id, user_id=row.user_id, company_id=row.company_id, region=row.region)
    tags: dict[int, list] = {person_id: [] for person_id in rows}
    for row in person_tag_rows(session, person_ids=list(rows)):
        tags[row.person_id].append((row.tag_id, row.kind, row.level))
    _ensure_tags(session, graph, {tag_id for items in tags.values() for tag_id, _, _ in items}, tag_names)
    for person_id, items in tags.items():
        graph.set_tags((PERSON, person_id), items)
    for a, b, _at in connection_rows(session, person_ids=list(rows)):
        graph.add_connection(a, b)


def refresh_companies(session: Session, graph: MatchingGraph, company_ids: Iterable[int]) -> None:
    from portal.companies.graph_export import company_rows, company_tag_rows
    from portal.tags.graph_export import tag_names

    ids = set(company_ids)
    if not ids:
        return
    rows = {row.id: row for row in company_rows(session, company_ids=ids)}
    for company_id in ids - set(rows):
        graph.remove_company(company_id)
    for row in rows.values():
        graph.ensure_company(row.id, name=row.name, slug=row.slug, region=row.region, industry=row.industry,
                             partner_type=row.partner_type)
    tags: dict[int, list] = {company_id: [] for company_id in rows}
    for company_id, tag_id, kind in company_tag_rows(session, company_ids=list(rows)):
        tags[company_id].append((tag_id, kind, "public"))
    _ensure_tags(session, graph, {tag_id for items in tags.values() for tag_id, _, _ in items}, tag_names)
    for company_id, items in tags.items():
        graph.set_tags((COMPANY, company_id), items)


def _ensure_tags(session: Session, graph: MatchingGraph, tag_ids: set[int], tag_names) -> None:
    missing = [tag_id for tag_id in tag_ids if not graph.has((TAG, tag_id))]
    for tag_id, name in tag_names(session, missing).items():
        graph.ensure_tag(tag_id, name)


def refresh_tag_names(session: Session, graph: MatchingGraph, tag_ids: Iterable[int]) -> None:
    from portal.tags.graph_export import tag_names

    for tag_id, name in tag_names(session, tag_ids).items():
        graph.ensure_tag(tag_id, name)


def refresh_staff(session: Session, graph: MatchingGraph) -> None:
    people, companies = ecosystem_staff(session)
    graph.staff, graph.staff_companies = frozenset(people), frozenset(companies)


def touched_people(session: Session, post_ids: Iterable[int]) -> set[int]:
    from portal.forums.interactions import post_authors

    return set(post_authors(session, post_ids).values())


def thread_posts(session: Session, thread_ids: Iterable[int]) -> list[int]:
    from portal.forums.interactions import thread_post_ids

    return thread_post_ids(session, thread_ids)

