"""Listing forum threads and categories: the forums service, the API's page of threads, and
GET /api/v1/threads and /categories over HTTP (visibility, filters, keyset cursors, bad values)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.api import cursors, schemas
from portal.api.services import Links, threads_view
from portal.errors import NotFound
from portal.forums import services as forums
from portal.forums.services import readable_threads
from portal.profiles.visibility import Viewer
from tests.test_api_support import ISSUER, bearer, client_token, company_with_admin, person_token, system_client
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_companies_support import make_user
from tests.test_forums_support import viewer_of

PROBLEM = "application/problem+json"
SYSTEM = Viewer(person_id=None, is_member=True)  # what a member system's token sees
LINKS = Links(person=lambda slug: f"{ISSUER}/people/{slug}", company=lambda slug: f"{ISSUER}/companies/{slug}",
              category=lambda slug: f"{ISSUER}/forums/c/{slug}", thread=lambda i: f"{ISSUER}/forums/t/{i}",
              post=lambda i: f"{ISSUER}/forums/p/{i}", absolute=lambda path: ISSUER + path)


def day(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, n, hour, tzinfo=UTC)


@pytest.fixture
def board(session):
    """Nina's company and system; public, members-only and private-group threads on known days."""
    user, nina, company = company_with_admin(session)
    client, secret = system_client(session, company.id)
    public = forums.create_category(session, "Integrations", visibility="public")
    members = forums.create_category(session, "Partner programme", visibility="members")
    group = forums.create_group(session, "Board room", nina.id)
    group_category = forums.group_category(session, group)
    threads = {
        "pricing": forums.create_thread(session, public, nina.id, "Pricing API for resellers", "Price lists?",
                                        tags="pricing, api", created_at=day(1)),
        "webhooks": forums.create_thread(session, public, nina.id, "Webhook retries", "How often?",
                                         tags="webhooks", created_at=day(2)),
        "tiers": forums.create_thread(session, members, nina.id, "Partner tiers for 2027", "Gold and silver.",
                                      tags="pricing", created_at=day(3)),
        "private": forums.create_thread(session, group_category, nina.id, "Acquisition plans", "Confidential.",
                                       tags="pricing", created_at=day(4)),
        "gone": forums.create_thread(session, public, nina.id, "Deleted pricing question", "Oops.",
                                     tags="pricing", created_at=day(5)),
    }
    forums.delete_post(session, forums.opening_post(session, threads["gone"]), viewer_of(nina))
    # A reply brings the oldest thread back to the top.
    forums.reply(session, threads["pricing"], nina.id, "Version three is out.", created_at=day(6))
    session.commit()
    return {"user": user, "nina": nina, "company": company, "client": client, "secret": secret,
            "public": public, "members": members, "group_category": group_category, **threads}


def titles(threads) -> list[str]:
    return [t.title for t in threads]


# --- the forums service ---------------------------------------------------------------------------

def test_threads_come_latest_post_first_without_deleted_or_private_ones(session, board):
    assert titles(readable_threads(session, SYSTEM)) == [
        "Pricing API for resellers", "Partner tiers for 2027", "Webhook retries"]
    member_of_group = viewer_of(board["nina"])
    assert titles(readable_threads(session, member_of_group)) == [
        "Pricing API for resellers", "Acquisition plans", "Partner tiers for 2027", "Webhook retries"]
    assert titles(readable_threads(session, Viewer.anonymous())) == ["Pricing API for resellers", "Webhook retries"]
    _user, outsider = make_user(session, name="Olga Outsider")
    assert "Acquisition plans" not in titles(readable_threads(session, viewer_of(outsider)))
    assert "Acquisition plans" in titles(readable_threads(session, viewer_of(outsider, admin=True)))


def test_threads_filter_by_category_tag_and_activity(session, board):
    assert titles(readable_threads(session, SYSTEM, category_id=board["members"].id)) == ["Partner tiers for 2027"]
    assert titles(readable_threads(session, SYSTEM, tag="Pricing")) == [
        "Pricing API for resellers", "Partner tiers for 2027"]
    assert readable_threads(session, SYSTEM, tag="no such tag") == []
    assert titles(readable_threads(session, SYSTEM, active_since=day(3))) == [
        "Pricing API for resellers", "Partner tiers for 2027"]
    assert titles(readable_threads(session, SYSTEM, active_since=day(3, 13))) == ["Pricing API for resellers"]
    with pytest.raises(NotFound):
        readable_threads(session, SYSTEM, category_id=board["group_category"].id)  # as if it did not exist
    with pytest.raises(NotFound):
        readable_threads(session, SYSTEM, category_id=999_999)


def test_threads_page_by_position(session, board):
    first = readable_threads(session, SYSTEM, limit=2)
    last = first[-1]
    rest = readable_threads(session, SYSTEM, before=(last.last_post_at, last.id), limit=2)
    assert titles(first) + titles(rest) == titles(readable_threads(session, SYSTEM))


def test_api_pages_follow_each_other_and_stay_put_when_threads_change(session, board):
    params = schemas.ThreadListParams(limit=1)
    first = threads_view(session, SYSTEM, LINKS, params)
    assert [t.title for t in first.items] == ["Pricing API for resellers"] and first.next_cursor
    assert first.items[0].category.name == "Integrations" and first.items[0].tags == ["pricing", "api"]
    # A new thread after the first page was read goes on top; the second page goes on from where the
    # first ended, neither repeating nor skipping one.
    forums.create_thread(session, board["public"], board["nina"].id, "Brand new", "Hello.", created_at=day(7))
    session.commit()
    seen = [t.title for t in first.items]
    cursor = first.next_cursor
    while cursor:
        page = threads_view(session, SYSTEM, LINKS, schemas.ThreadListParams(limit=1, cursor=cursor))
        seen += [t.title for t in page.items]
        cursor = page.next_cursor
    assert seen == ["Pricing API for resellers", "Partner tiers for 2027", "Webhook retries"]


# --- over HTTP ------------------------------------------------------------------------------------

@pytest.fixture
def system(client, board):
    return bearer(client_token(client, board["client"], board["secret"]))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json()


def listed(client, headers, **query) -> list[str]:
    response = client.get("/api/v1/threads", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [t["title"] for t in response.get_json()["items"]]


def test_a_system_lists_what_any_member_reads(client, board, system):
    body = client.get("/api/v1/threads", headers=system).get_json()
    assert [t["title"] for t in body["items"]] == ["Pricing API for resellers", "Partner tiers for 2027",
                                                   "Webhook retries"]
    top = body["items"][0]
    assert top["url"] == f"{ISSUER}/forums/t/{board['pricing'].id}"
    assert top["post_count"] == 2 and top["last_post_at"].startswith("2026-03-06T12:00:00")
    assert top["author"]["name"] == "Nina Kowalski" and body["next_cursor"] is None


def test_a_person_token_lists_their_private_group_too(client, session, board):
    member = bearer(person_token(session, board["user"], board["client"]))
    assert "Acquisition plans" in listed(client, member)
    outsider_user, _outsider = make_user(session, name="Olga Outsider")
    session.commit()
    outsider = bearer(person_token(session, outsider_user, board["client"]))
    assert "Acquisition plans" not in listed(client, outsider)


def test_filters_over_http(client, board, system):
    assert listed(client, system, category=board["members"].id) == ["Partner tiers for 2027"]
    assert listed(client, system, tag="pricing") == ["Pricing API for resellers", "Partner tiers for 2027"]
    assert listed(client, system, active_since="2026-03-03T12:00:00Z") == [
        "Pricing API for resellers", "Partner tiers for 2027"]
    assert listed(client, system, active_since="2026-03-03T13:00:00+02:00") == [  # 11:00 UTC
        "Pricing API for resellers", "Partner tiers for 2027"]
    assert listed(client, system, active_since="2026-03-03T14:00:00+01:00") == ["Pricing API for resellers"]
    assert listed(client, system, tag="pricing", category=board["public"].id) == ["Pricing API for resellers"]


def test_pages_by_next_cursor(client, board, system):
    seen, cursor = [], None
    for _ in range(5):
        body = client.get("/api/v1/threads", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})},
                          headers=system).get_json()
        seen += [t["title"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Pricing API for resellers", "Partner tiers for 2027", "Webhook retries"]


@pytest.mark.parametrize("query, field", [
    ({"category": "group"}, "category"),      # a private group's category, for a system
    ({"category": "999999"}, "category"),
    ({"category": "0"}, "category"),
    ({"category": "two"}, "category"),
    ({"active_since": "2026-03-03T12:00:00"}, "active_since"),   # no offset: which 12:00?
    ({"active_since": "yesterday"}, "active_since"),
    ({"active_since": "0001-01-01T00:00:00+01:00"}, "active_since"),  # before year 1 in UTC
    ({"tag": "x" * 65}, "tag"),
    ({"limit": "101"}, "limit"),
    ({"cursor": "bogus"}, "cursor"),
    ({"cursor": cursors.encode({"t": "2026-03-01", "i": 1})}, "cursor"),
    ({"cursor": cursors.encode({"t": 10 ** 20, "i": 1})}, "cursor"),
    ({"cursor": cursors.encode({"t": 0, "i": True})}, "cursor"),
    ({"cursor": cursors.encode({"p": 2, "s": 2})}, "cursor"),   # a cursor of another list
    ({"colour": "blue"}, "colour"),
])
def test_bad_parameters_are_400_problems_naming_them(client, board, system, query, field):
    if query.get("category") == "group":
        query = {"category": str(board["group_category"].id)}
    body = assert_problem(client.get("/api/v1/threads", query_string=query, headers=system), 400)
    assert field in [error["field"] for error in body["errors"]]


def test_listing_needs_the_read_scope(client, session, board):
    narrow, secret = system_client(session, board["company"].id, scopes=("feeds.write",))
    response = client.get("/api/v1/threads", headers=bearer(client_token(client, narrow, secret)))
    assert_problem(response, 403)
    assert 'scope="api.read"' in response.headers["WWW-Authenticate"]
    assert_problem(client.get("/api/v1/categories"), 401)


def test_categories_list_what_the_caller_may_read(client, session, board, system):
    body = client.get("/api/v1/categories", headers=system).get_json()
    assert [(c["name"], c["visibility"]) for c in body["items"]] == [
        ("Integrations", "public"), ("Partner programme", "members")]
    assert body["items"][0]["url"] == f"{ISSUER}/forums/c/{board['public'].slug}"
    member = bearer(person_token(session, board["user"], board["client"]))
    names = [c["name"] for c in client.get("/api/v1/categories", headers=member).get_json()["items"]]
    assert names == ["Integrations", "Partner programme", "Board room"]
    # Each id filters the thread list.
    for category in body["items"]:
        assert client.get("/api/v1/threads", query_string={"category": category["id"]},
                          headers=system).status_code == 200
