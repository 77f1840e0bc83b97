"""Read operations of /api/v1 and the OpenAPI document. Each view: check the token's scope, parse
the query with its model, call a service, answer JSON."""

from __future__ import annotations

from flask import current_app, jsonify, url_for

from portal.api import services
from portal.api.auth import require
from portal.api.blueprint import bp
from portal.api.problems import ApiProblem
from portal.api.schemas import (
    ActivityList,
    Caller,
    CategoryList,
    CompanyOut,
    PageQuery,
    PersonOut,
    PostPage,
    RecommendationList,
    RecommendationParams,
    SearchParams,
    SearchResults,
    ThreadList,
    ThreadListParams,
    ThreadOut,
)
from portal.api.spec import SLUG, openapi_document, operation, parse_query
from portal.db import db

READ = "api.read"


def links() -> services.Links:
    """Absolute addresses on the portal's public base URL (never the request's Host header)."""
    from portal.auth.provider.settings import issuer

    base = issuer()
    return services.Links(
        person=lambda slug: base + url_for("profiles.show", slug=slug),
        company=lambda slug: base + url_for("companies.show", slug=slug),
        category=lambda slug: base + url_for("forums.category", slug=slug),
        thread=lambda thread_id: base + url_for("forums.thread", thread_id=thread_id),
        post=lambda post_id: base + url_for("forums.permalink", post_id=post_id),
        absolute=lambda path: base + path if path.startswith("/") else path)


def answer(model, status: int = 200):
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise ApiProblem(404, f"There is nothing called {value[:60]!r}.")
    return value


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    from portal.auth.provider.settings import absolute, issuer

    document = openapi_document(base_url=issuer(), token_url=absolute("provider.token"),
                                authorization_url=absolute("provider.authorize"),
                                version=current_app.config.get("API_VERSION", "1.0.0"))
    return jsonify(document)


@operation(bp, "/me", summary="Who the token speaks for: the member system's company or the person",
           scope=READ, response=Caller)
def me():
    caller = require(READ)
    from portal.companies.lookup import company_by_id

    company = company_by_id(db.session, caller.company_id) if caller.company_id is not None else None
    return answer(Caller(
        kind="person" if caller.is_person else "system", client_id=caller.client_id, scopes=sorted(caller.scopes),
        company=services.company_ref(company, links()) if company else None,
        person=services.person_ref(caller.person, links()) if caller.person is not None else None))


@operation(bp, "/people/<slug>", summary="A person's profile, each field as the caller may see it",
           scope=READ, response=PersonOut)
def person(slug: str):
    caller = require(READ)
    return answer(services.person_view(db.session, _slug(slug), caller.viewer, links()))


@operation(bp, "/companies/<slug>", summary="A company's profile and its active members",
           scope=READ, response=CompanyOut)
def company(slug: str):
    require(READ)
    return answer(services.company_view(db.session, _slug(slug), links()))


@operation(bp, "/companies/<slug>/activities", summary="The company's feed, newest first, as the caller may see it",
           scope=READ, response=ActivityList, query=PageQuery)
def company_activities(slug: str):
    caller = require(READ)
    params = parse_query(PageQuery)
    return answer(services.company_feed_view(db.session, _slug(slug), caller.viewer, links(), cursor=params.cursor,
                                             limit=params.limit))


@operation(bp, "/categories", summary="The forum categories the caller may read (ids to filter threads by)",
           scope=READ, response=CategoryList)
def categories():
    caller = require(READ)
    return answer(services.categories_view(db.session, caller.viewer, links()))


@operation(bp, "/threads", summary="Forum threads the caller may read, latest post first; by category, tag, "
                                   "or activity since a time",
           scope=READ, response=ThreadList, query=ThreadListParams)
def threads():
    caller = require(READ)
    params = parse_query(ThreadListParams)
    return answer(services.threads_view(db.session, caller.viewer, links(), params))


@operation(bp, "/threads/<int(max=2147483647):thread_id>", summary="A forum thread the caller may read",
           scope=READ, response=ThreadOut)
def thread(thread_id: int):
    caller = require(READ)
    return answer(services.thread_view(db.session, thread_id, caller.viewer, links()))


@operation(bp, "/threads/<int(max=2147483647):thread_id>/posts", summary="The posts of a thread, in order",
           scope=READ, response=PostPage, query=PageQuery)
def thread_posts(thread_id: int):
    caller = require(READ)
    params = parse_query(PageQuery)
    return answer(services.posts_view(db.session, thread_id, caller.viewer, links(), cursor=params.cursor,
                                      limit=params.limit))


@operation(bp, "/search", summary="Search threads, replies, people and companies (what the caller may see)",
           scope=READ, response=SearchResults, query=SearchParams)
def search():
    from portal.search.backend import SearchUnavailable

    caller = require(READ)
    params = parse_query(SearchParams)
    try:
        return answer(services.search_view(db.session, caller.viewer, links(), params))
    except SearchUnavailable:
        raise ApiProblem(503, "The search index is being rebuilt; try again in a minute.",
                         headers={"Retry-After": "60"}) from None


@operation(bp, "/recommendations", summary="People the token's person should meet, with reasons",
           scope=READ, response=RecommendationList, query=RecommendationParams)
def recommendations():
    caller = require(READ)
    params = parse_query(RecommendationParams)
    if caller.person is None:
        raise ApiProblem(403, "Recommendations are for a person: use a token from the authorization code flow.")
    return answer(services.recommendations_view(db.session, caller.person.id, links(), limit=params.limit))
