"""What the API's read operations return, built from the owning features' services.

Each function takes a session, the caller's Viewer and plain values, and returns the response
model; every visibility decision is the one the web pages make (profile fields through
`visible_fields_for`, forum content through the forum access rules, search through the search
service's own filtering). Nothing here imports Flask: addresses come from a `Links` the view makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.api import cursors, schemas
from portal.api.problems import ApiProblem
from portal.errors import NotFound
from portal.profiles.visibility import Viewer, visible_fields_for


@dataclass(frozen=True)
class Links:
    """Absolute web addresses of the things the API returns."""

    person: Callable[[str], str]
    company: Callable[[str], str]
    category: Callable[[str], str]
    thread: Callable[[int], str]
    post: Callable[[int], str]
    absolute: Callable[[str], str]   # a site-relative path ("/forums/p/1") made absolute


def person_ref(person, links: Links) -> schemas.PersonRef:
    return schemas.PersonRef(id=person.id, slug=person.slug, name=person.name, url=links.person(person.slug))


def company_ref(company, links: Links) -> schemas.CompanyRef:
    return schemas.CompanyRef(id=company.id, slug=company.slug, name=company.name, url=links.company(company.slug))


def person_view(session: Session, slug: str, viewer: Viewer, links: Links) -> schemas.PersonOut:
    from portal.companies.lookup import company_by_id
    from portal.profiles.editing import person_links
    from portal.profiles.models import PRIVATE_FIELDS, TAG_KIND_FIELDS
    from portal.profiles.services import person_by_slug, person_tags

    person = person_by_slug(session, slug)
    if person is None:
        raise NotFound(f"There is no person {slug!r}.")
    visible = visible_fields_for(person, viewer)
    tags = person_tags(session, [person.id])[person.id]
    active = person.company_id is not None and person.membership_status == "active"
    company = company_by_id(session, person.company_id) if active else None

    def shown(name: str, value):
        return value if name in visible else None

    tag_lists = {TAG_KIND_FIELDS[kind]: [t.name for t in tags[kind]] for kind in TAG_KIND_FIELDS}
    return schemas.PersonOut(
        id=person.id, slug=person.slug, name=person.name, url=links.person(person.slug),
        company=company_ref(company, links) if company else None,
        company_role=person.company_role if company else None, region=person.region,
        headline=shown("headline", person.headline), bio=shown("bio", person.bio),
        location=shown("location", person.location), job_title=shown("job_title", person.job_title),
        email=shown("email", person.email),
        skills=shown("skills", tag_lists["skills"]), interests=shown("interests", tag_lists["interests"]),
        offers=shown("offers", tag_lists["offers"]), needs=shown("needs", tag_lists["needs"]),
        links=[schemas.Link(label=link.label, url=link.url) for link in person_links(session, person.id)]
        if "links" in visible else None,
        hidden_fields=[name for name in PRIVATE_FIELDS if name not in visible],
        updated_at=person.updated_at)


def company_view(session: Session, slug: str, links: Links) -> schemas.CompanyOut:
    from portal.companies.membership import company_members
    from portal.companies.services import company_by_slug, company_tags

    company = company_by_slug(session, slug)
    if company is None:
        raise NotFound(f"There is no company {slug!r}.")
    tags = company_tags(session, [company.id])[company.id]
    members = company_members(session, company.id).active
    return schemas.CompanyOut(
        id=company.id, slug=company.slug, name=company.name, url=links.company(company.slug),
        description=company.description, website=company.website, industry=company.industry,
        region=company.region, size=company.size, partner_type=company.partner_type,
        verified=company.verified_at is not None,
        offers=[t.name for t in tags.get("offer", [])], needs=[t.name for t in tags.get("need", [])],
        members=[person_ref(p, links) for p in members], updated_at=company.updated_at)


# --- forums ---------------------------------------------------------------------------------------

def _readable_thread(session: Session, thread_id: int, viewer: Viewer):
    """The thread and its category when the viewer may read it; NotFound otherwise (a private
    group's thread is indistinguishable from a missing one)."""
    from portal.forums.access import can_read
    from portal.forums.models import Category, Thread

    thread = session.get(Thread, thread_id)
    if thread is None or thread.deleted_at is not None:
        raise NotFound(f"There is no thread {thread_id}.")
    category = session.get(Category, thread.category_id)
    if category is None or not can_read(session, category, viewer):
        raise NotFound(f"There is no thread {thread_id}.")
    return thread, category


def _threads_out(session: Session, threads: list, categories: dict, links: Links) -> list[schemas.ThreadOut]:
    """Threads with their category, author and tags (two queries for the whole list)."""
    from portal.forums.services import thread_tags
    from portal.profiles.services import persons_by_ids

    authors = persons_by_ids(session, [t.author_id for t in threads if t.author_id])
    tags = thread_tags(session, [t.id for t in threads])
    items = []
    for thread in threads:
        category, author = categories[thread.category_id], authors.get(thread.author_id)
        items.append(schemas.ThreadOut(
            id=thread.id, title=thread.title, url=links.thread(thread.id),
            category=schemas.CategoryRef(id=category.id, name=category.name, visibility=category.visibility),
            author=person_ref(author, links) if author else None, tags=[t.name for t in tags[thread.id]],
            post_count=thread.post_count, pinned=thread.pinned, locked=thread.locked,
            accepted_post_id=thread.accepted_post_id, created_at=thread.created_at,
            last_post_at=thread.last_post_at))
    return items


def thread_view(session: Session, thread_id: int, viewer: Viewer, links: Links) -> schemas.ThreadOut:
    thread, category = _readable_thread(session, thread_id, viewer)
    return _threads_out(session, [thread], {category.id: category}, links)[0]


def categories_view(session: Session, viewer: Viewer, links: Links) -> schemas.CategoryList:
    """The categories the viewer may read (a private group's only for its members), in forum order."""
    from portal.forums.listing import readable_categories

    return schemas.CategoryList(items=[
        schemas.CategoryOut(id=c.id, slug=c.slug, name=c.name, description=c.description,
                            visibility=c.visibility, url=links.category(c.slug))
        for c in readable_categories(session, viewer)])


def threads_view(session: Session, viewer: Viewer, links: Links,
                 params: schemas.ThreadListParams) -> schemas.ThreadList:
    """Threads the viewer may read, latest post first, `params.limit` at a time. The cursor is
    the (last_post_at, id) of the page's last thread, so paging never skips or repeats a thread
    that did not change; one that got a reply meanwhile moves to the first page."""
    from portal.forums.listing import readable_categories
    from portal.forums.services import readable_threads

    before = None
    if params.cursor:
        position = cursors.decode(params.cursor, ("t", "i"))
        if not (cursors.whole(position["i"]) and position["i"] >= 1):
            raise cursors.BadCursor()
        before = (cursors.time_at(position["t"]), position["i"])
    try:
        threads = readable_threads(session, viewer, category_id=params.category, tag=params.tag or None,
                                   active_since=params.active_since, before=before, limit=params.limit + 1)
    except NotFound:
        # A private group's category reads the same as a missing one.
        raise ApiProblem(400, f"There is no category {params.category} you may read (see /categories).",
                         errors=[{"field": "category", "message": "not a category the caller may read"}]) from None
    more, threads = len(threads) > params.limit, threads[:params.limit]
    categories = {c.id: c for c in readable_categories(session, viewer)} if threads else {}
    last = threads[-1] if threads else None
    return schemas.ThreadList(
        items=_threads_out(session, threads, categories, links),
        next_cursor=cursors.encode({"t": cursors.micros(last.last_post_at), "i": last.id}) if more else None)


def posts_view(session: Session, thread_id: int, viewer: Viewer, links: Links, *, cursor: str | None,
               limit: int) -> schemas.PostPage:
    """Posts of a thread in order, `limit` at a time. Post numbers never change, so a page is a
    range of numbers: the cursor carries the next page and the page size it was made with. Deleted
    and hidden posts keep their number but not their text (the web shows a placeholder too)."""
    from portal.forums.services import thread_posts_page
    from portal.profiles.services import persons_by_ids

    thread, _category = _readable_thread(session, thread_id, viewer)
    page, per_page = 1, limit
    if cursor:
        position = cursors.decode(cursor, ("p", "s"))
        page, per_page = position["p"], position["s"]
        if not (cursors.whole(page) and cursors.whole(per_page) and 1 <= per_page <= 100
                and 1 <= page <= cursors.INT_MAX // per_page):
            raise cursors.BadCursor()
    posts = thread_posts_page(session, thread, page, per_page)
    authors = persons_by_ids(session, [p.author_id for p in posts if p.author_id])
    items = []
    for post in posts:
        author = authors.get(post.author_id)
        items.append(schemas.PostOut(
            id=post.id, number=post.number, url=links.post(post.id),
            author=person_ref(author, links) if author else None,
            body=post.body if post.is_visible else None, body_html=post.body_html if post.is_visible else None,
            reply_to_id=post.reply_to_id, deleted=post.deleted_at is not None, hidden=post.hidden_at is not None,
            created_at=post.created_at, edited_at=post.edited_at))
    more = thread.last_number > page * per_page
    return schemas.PostPage(items=items, next_cursor=cursors.encode({"p": page + 1, "s": per_page}) if more else None)


def activity_out(activity, company, links: Links) -> schemas.ActivityOut:
    return schemas.ActivityOut(id=activity.id, verb=activity.verb, title=activity.title, summary=activity.summary,
                               url=links.absolute(activity.url), company=company_ref(company, links),
                               created_at=activity.created_at)


def company_feed_view(session: Session, slug: str, viewer: Viewer, links: Links, *, cursor: str | None,
                      limit: int) -> schemas.ActivityList:
    """The company's feed as the viewer may see it (the feeds service drops what they may not)."""
    from portal.companies.services import company_by_slug
    from portal.errors import DomainError
    from portal.feeds.cursor import decode_cursor
    from portal.feeds.services import company_feed

    company = company_by_slug(session, slug)
    if company is None:
        raise NotFound(f"There is no company {slug!r}.")
    try:
        position = decode_cursor(cursor)
    except DomainError:
        raise cursors.BadCursor() from None
    if position is not None and position.activity_id > cursors.INT_MAX:
        raise cursors.BadCursor()
    page = company_feed(session, viewer, company.id, cursor=cursor or None, limit=limit)
    return schemas.ActivityList(items=[activity_out(a, company, links) for a in page.items],
                                next_cursor=page.next_cursor)


# --- search and recommendations -------------------------------------------------------------------

# The deepest a search pages, whatever the page size: the search page's 1,000 pages of 10. Ranked
# results past it are noise, and each page costs the ranking of every hit before it.
SEARCH_DEPTH = 10_000


def search_view(session: Session, viewer: Viewer, links: Links, params: schemas.SearchParams) -> schemas.SearchResults:
    """One page of search results the viewer may see. The cursor carries the next page's number
    and the page size it was made with, so a client that changes `limit` mid-way neither skips
    nor repeats hits."""
    from portal.search import services as search
    from portal.search.query import build_query
    from portal.tags.services import normalize_tag_key

    page, size = 1, params.limit
    if params.cursor:
        position = cursors.decode(params.cursor, ("p", "s"))
        page, size = position["p"], position["s"]
        if not (cursors.whole(page) and cursors.whole(size) and 1 <= size <= 50 and 1 <= page <= 1000
                and (page - 1) * size < SEARCH_DEPTH):
            raise cursors.BadCursor()
    query = build_query(params.q, kind=params.type or "", tag_key=normalize_tag_key(params.tag or ""), page=page,
                        per_page=size)
    if not (query.text or query.has_filters):
        return schemas.SearchResults(items=[], total=0, exact=True, suggestion=None, next_cursor=None)
    found = search.search(session, viewer, query)
    items = [schemas.SearchHit(kind=hit.kind, title=hit.title, url=links.absolute(hit.url),
                               snippet_html=str(hit.snippet), context=hit.context, created_at=hit.created_at)
             for hit in found.hits]
    more = found.has_next and page < 1000 and page * size < SEARCH_DEPTH
    return schemas.SearchResults(items=items, total=found.total, exact=found.exact, suggestion=found.suggestion,
                                 next_cursor=cursors.encode({"p": page + 1, "s": size}) if more else None)


def recommendations_view(session: Session, person_id: int, links: Links, *, limit: int) -> schemas.RecommendationList:
    from portal.matching.services import recommend_people
    from portal.profiles.services import persons_by_ids

    found = recommend_people(session, person_id, limit=limit)
    people = persons_by_ids(session, [r.person_id for r in found])
    return schemas.RecommendationList(items=[
        schemas.Recommendation(person=person_ref(people[r.person_id], links), score=round(r.score, 6),
                               reasons=r.reasons)
        for r in found if r.person_id in people])
