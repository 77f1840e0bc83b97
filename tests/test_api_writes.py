"""Writing through the API: activities into a company feed; bad bodies answered with 4xx problems."""

from __future__ import annotations

import json

import pytest

from portal.feeds.services import company_feed, follow, personal_feed
from portal.profiles.visibility import Viewer
from tests.test_api_support import bearer, client_token, company_with_admin, person_token, system_client
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_companies_support import make_user

PROBLEM = "application/problem+json"
PRICE_LIST = {"title": "Price list v3 published", "url": "https://erp.acme.example/prices/v3",
              "verb": "pricelist.published", "summary": "New reseller discounts from January."}


@pytest.fixture
def acme(session):
    user, person, company = company_with_admin(session)
    client, secret = system_client(session, company.id)
    return {"user": user, "person": person, "company": company, "client": client, "secret": secret}


@pytest.fixture
def system(client, acme):
    return bearer(client_token(client, acme["client"], acme["secret"]))


def post_json(client, path, body, headers, **kw):
    return client.post(path, data=body if isinstance(body, (str, bytes)) else json.dumps(body),
                       headers=headers, content_type=kw.pop("content_type", "application/json"), **kw)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json()


def test_a_member_system_posts_into_its_company_feed_and_followers_see_it(client, session, acme, system):
    _user, follower = make_user(session, name="Fatima Follower")
    follow(session, follower, "company", acme["company"].id)
    session.commit()
    response = post_json(client, "/api/v1/activities", PRICE_LIST, system)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["title"] == "Price list v3 published" and body["company"]["id"] == acme["company"].id
    viewer = Viewer(person_id=follower.id, is_member=True)
    feed = company_feed(session, viewer, acme["company"].id)
    assert [a.title for a in feed.items] == ["Price list v3 published"]
    assert feed.items[0].actor_client_id == acme["client"].client_id
    assert [a.id for a in personal_feed(session, viewer).items] == [body["id"]]
    listed = client.get(f"/api/v1/companies/{acme['company'].slug}/activities", headers=system).get_json()
    assert [a["title"] for a in listed["items"]] == ["Price list v3 published"]


def test_company_feed_pages_by_cursor(client, session, acme, system):
    for n in range(3):
        response = post_json(client, "/api/v1/activities", {**PRICE_LIST, "title": f"Update {n}"}, system)
        assert response.status_code == 201
    path = f"/api/v1/companies/{acme['company'].slug}/activities"
    first = client.get(path + "?limit=2", headers=system).get_json()
    assert [a["title"] for a in first["items"]] == ["Update 2", "Update 1"]
    rest = client.get(path, query_string={"cursor": first["next_cursor"]}, headers=system).get_json()
    assert [a["title"] for a in rest["items"]] == ["Update 0"] and rest["next_cursor"] is None
    assert_problem(client.get(path + "?cursor=%%%", headers=system), 400)


def test_a_person_token_posts_only_for_a_company_they_administer(client, session, acme):
    admin = bearer(person_token(session, acme["user"], acme["client"], scope="feeds.write"))
    assert post_json(client, "/api/v1/activities", PRICE_LIST, admin).status_code == 201
    user, person = make_user(session, name="Mo Member")
    person.company_id, person.company_role = acme["company"].id, "member"
    session.commit()
    member = bearer(person_token(session, user, acme["client"], scope="feeds.write"))
    assert_problem(post_json(client, "/api/v1/activities", PRICE_LIST, member), 403)


def test_a_client_of_no_company_has_no_feed(client, session, acme):
    orphan, secret = system_client(session, None)
    body = assert_problem(post_json(client, "/api/v1/activities", PRICE_LIST,
                                    bearer(client_token(client, orphan, secret))), 403)
    assert "company" in body["detail"]


def test_writing_needs_the_write_scope(client, session, acme):
    reader, secret = system_client(session, acme["company"].id, scopes=("api.read",))
    response = post_json(client, "/api/v1/activities", PRICE_LIST, bearer(client_token(client, reader, secret)))
    assert_problem(response, 403)
    assert 'scope="feeds.write"' in response.headers["WWW-Authenticate"]


def test_writing_without_a_token_is_401(client):
    assert_problem(post_json(client, "/api/v1/activities", PRICE_LIST, {}), 401)


def test_malformed_json_is_400(client, system):
    for raw in ('{"title": "x",', "not json", "", "[1, 2"):
        body = assert_problem(post_json(client, "/api/v1/activities", raw, system), 400)
        assert body["detail"]


@pytest.mark.parametrize("change, field", [
    ({"title": 42}, "title"),                       # wrong type
    ({"summary": ["a"]}, "summary"),
    ({"title": ""}, "title"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"verb": "Price List!"}, "verb"),
    ({"colour": "blue"}, "colour"),                 # unknown field
    ({"title": None}, "title"),
])
def test_bodies_not_matching_the_schema_are_422_naming_the_field(client, system, change, field):
    body = assert_problem(post_json(client, "/api/v1/activities", {**PRICE_LIST, **change}, system), 422)
    assert field in [error["field"] for error in body["errors"]]


def test_a_missing_field_and_a_non_object_body_are_422(client, system):
    assert_problem(post_json(client, "/api/v1/activities", {"title": "No link"}, system), 422)
    assert_problem(post_json(client, "/api/v1/activities", [PRICE_LIST], system), 422)


def test_nul_characters_are_refused(client, system):
    assert_problem(post_json(client, "/api/v1/activities", {**PRICE_LIST, "title": "a\u0000b"}, system), 422)


def test_oversized_body_is_413(client, app, system):
    huge = {**PRICE_LIST, "summary": "x" * (app.config["API_MAX_JSON_BYTES"] + 10)}
    assert_problem(post_json(client, "/api/v1/activities", huge, system), 413)


def test_other_media_types_are_415(client, system):
    response = client.post("/api/v1/activities", data={"title": "form"}, headers=system)
    assert_problem(response, 415)
    assert_problem(post_json(client, "/api/v1/activities", json.dumps(PRICE_LIST), system,
                             content_type="text/plain"), 415)


def test_nothing_is_written_when_the_request_is_refused(client, session, acme, system):
    post_json(client, "/api/v1/activities", {**PRICE_LIST, "colour": "blue"}, system)
    post_json(client, "/api/v1/activities", {**PRICE_LIST, "title": 42}, system)
    viewer = Viewer(person_id=acme["person"].id, is_member=True)
    assert company_feed(session, viewer, acme["company"].id).items == []
