"""Search through the API a page at a time: `limit`, the cursor that keeps its page size, bad
values as 400 problems. On Whoosh, and on PostgreSQL's full-text search in the PostgreSQL pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.api import cursors
from portal.forums import services as forums
from portal.profiles.visibility import Viewer
from portal.search import services as search
from portal.search.query import build_query
from tests.test_api_support import bearer, client_token, company_with_admin, system_client
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_search import backend  # noqa: F401 - fixture: a fresh index of each backend

PROBLEM = "application/problem+json"
WIDGETS = 7


@pytest.fixture
def widgets(session, backend):  # noqa: F811 - the imported fixture
    """Seven public threads about widgets, one members-only, one in a private group."""
    _user, nina, company = company_with_admin(session)
    client, secret = system_client(session, company.id)
    public = forums.create_category(session, "Integrations", visibility="public")
    for n in range(1, WIDGETS + 1):
        forums.create_thread(session, public, nina.id, f"Widget connector number {n}", "Widgets sync nightly.",
                             created_at=datetime(2026, 3, n, 12, tzinfo=UTC))
    group = forums.create_group(session, "Board room", nina.id)
    forums.create_thread(session, forums.group_category(session, group), nina.id, "Widget acquisition",
                         "Confidential widgets.")
    session.commit()
    return {"client": client, "secret": secret}


@pytest.fixture
def system(client, widgets):
    return bearer(client_token(client, widgets["client"], widgets["secret"]))


def test_the_search_service_pages_by_the_size_asked_for(session, widgets):
    viewer = Viewer(person_id=None, is_member=True)
    pages = [search.search(session, viewer, build_query("widget", kind="thread", page=n, per_page=3))
             for n in (1, 2, 3)]
    assert [len(p.hits) for p in pages] == [3, 3, 1]
    assert [p.has_next for p in pages] == [True, True, False] and pages[0].pages == 3
    found = [hit.title for p in pages for hit in p.hits]
    assert sorted(found) == sorted(f"Widget connector number {n}" for n in range(1, WIDGETS + 1))


def test_pages_of_limit_hits_follow_each_other(client, widgets, system):
    seen, cursor, sizes = [], None, []
    while True:
        query = {"q": "widget", "type": "thread", "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/search", query_string=query, headers=system)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        seen += [hit["title"] for hit in body["items"]]
        sizes.append(len(body["items"]))
        assert body["total"] == WIDGETS
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(f"Widget connector number {n}" for n in range(1, WIDGETS + 1))  # none twice
    assert "Widget acquisition" not in seen  # the private group's thread


def test_the_default_page_is_ten_hits_and_a_cursor_keeps_its_size(client, widgets, system):
    everything = client.get("/api/v1/search", query_string={"q": "widget", "type": "thread"},
                            headers=system).get_json()
    assert len(everything["items"]) == WIDGETS and everything["next_cursor"] is None
    first = client.get("/api/v1/search", query_string={"q": "widget", "type": "thread", "limit": 2},
                       headers=system).get_json()
    # A different limit next to the cursor does not shift the pages: the cursor's size wins.
    second = client.get("/api/v1/search", query_string={"q": "widget", "type": "thread", "limit": 5,
                                                        "cursor": first["next_cursor"]}, headers=system).get_json()
    assert len(second["items"]) == 2
    titles = [hit["title"] for hit in everything["items"]]
    assert [hit["title"] for hit in first["items"] + second["items"]] == titles[:4]


@pytest.mark.parametrize("backend", ["whoosh"], indirect=True)  # refused before any backend is asked
@pytest.mark.parametrize("query, field", [
    ({"limit": "0"}, "limit"),
    ({"limit": "51"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"cursor": "bogus"}, "cursor"),
    ({"cursor": cursors.encode({"p": 2})}, "cursor"),                 # no page size
    ({"cursor": cursors.encode({"p": 2, "s": 51})}, "cursor"),        # larger than a page may be
    ({"cursor": cursors.encode({"p": 1001, "s": 1})}, "cursor"),      # past the last page
    ({"cursor": cursors.encode({"p": 201, "s": 50})}, "cursor"),      # past 10,000 hits
    ({"cursor": cursors.encode({"p": "2", "s": 10})}, "cursor"),
])
def test_bad_paging_values_are_400_problems(client, widgets, system, query, field):
    response = client.get("/api/v1/search", query_string={"q": "widget", **query}, headers=system)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert field in [error["field"] for error in response.get_json()["errors"]]
