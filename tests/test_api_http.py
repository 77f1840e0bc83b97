"""The integration API over HTTP: tokens, scopes, what each caller may read, problem documents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from portal.auth.provider import tokens
from portal.auth.provider.clients import disable_client
from portal.db import utcnow
from portal.profiles.services import connect
from tests.test_api_support import (
    API,
    ISSUER,
    bearer,
    client_token,
    company_with_admin,
    forum,
    person_token,
    system_client,
)
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_companies_support import login, make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def acme(session):
    user, person, company = company_with_admin(session)
    client, secret = system_client(session, company.id)
    return {"user": user, "person": person, "company": company, "client": client, "secret": secret}


@pytest.fixture
def system(client, acme):
    """Headers of Acme's member system (client credentials token for the API)."""
    return bearer(client_token(client, acme["client"], acme["secret"]))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- the OpenAPI document -------------------------------------------------------------------------

def test_openapi_document_describes_every_api_route_with_its_scope(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": API}]
    flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == ISSUER + "/oauth/token"
    assert {"api.read", "feeds.write", "documents.write"} <= set(flows["clientCredentials"]["scopes"])
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = rule.rule.removeprefix("/api/v1")
            for name in rule.arguments:
                path = path.replace(f"<int(max=2147483647):{name}>", "{" + name + "}").replace(f"<{name}>",
                                                                                                "{" + name + "}")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["security"][0]["oauth2"], op["operationId"]
            assert PROBLEM in op["responses"]["401"]["content"]


def test_discovery_offers_the_api_scopes(client):
    scopes = client.get("/.well-known/openid-configuration").get_json()["scopes_supported"]
    assert {"api.read", "feeds.write", "documents.write"} <= set(scopes)


# --- tokens ---------------------------------------------------------------------------------------

def test_client_credentials_token_reads_as_its_company(client, acme, system):
    body = client.get("/api/v1/me", headers=system).get_json()
    assert body["kind"] == "system" and body["person"] is None
    assert body["company"]["name"] == "Acme Integration"
    assert body["company"]["url"] == f"{ISSUER}/companies/{acme['company'].slug}"
    assert set(body["scopes"]) == {"api.read", "feeds.write", "documents.write"}


def test_a_system_client_of_another_audience_asks_for_the_api_as_resource(client, session, acme):
    other, secret = system_client(session, acme["company"].id, audience=None)
    token = client_token(client, other, secret)  # aud = the client itself: not for the API
    body = assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    assert "audience" in body["detail"]
    resource_token = client_token(client, other, secret, resource=API)
    assert client.get("/api/v1/me", headers=bearer(resource_token)).status_code == 200


def test_missing_token_gets_a_bearer_challenge(client):
    response = client.get("/api/v1/me")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="PartnerMesh API"'


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc"])
def test_malformed_authorization_header_is_invalid_request(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401)
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_garbage_and_forged_tokens_are_refused(client, acme):
    assert_problem(client.get("/api/v1/me", headers=bearer("not-a-jwt")), 401)
    forged_key = RSAKey.generate_key(2048)
    forged = jwt.encode({"alg": "RS256", "kid": "forged", "typ": "at+jwt"},
                        {"iss": ISSUER, "aud": API, "sub": "x", "exp": 4102444800, "jti": "j", "scope": "api.read",
                         "client_id": acme["client"].client_id}, forged_key)
    response = client.get("/api/v1/me", headers=bearer(forged))
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_expired_and_disabled_client_tokens_are_refused(client, session, acme):
    headers = [bearer(client_token(client, acme["client"], acme["secret"])) for _ in range(3)]
    revoked, expired, third = headers
    assert client.post("/oauth/revoke", data={"token": revoked["Authorization"][7:]},
                       headers=_basic(acme)).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=revoked), 401)
    row = _row(session, expired)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert_problem(client.get("/api/v1/me", headers=expired), 401)
    assert client.get("/api/v1/me", headers=third).status_code == 200
    disable_client(session, acme["client"])
    session.commit()
    assert_problem(client.get("/api/v1/me", headers=third), 401)


def _basic(acme) -> dict:
    from tests.test_api_support import basic

    return basic(acme["client"], acme["secret"])


def _row(session, headers):
    claims = tokens.decode_access_token(session, tokens.TokenSettings(issuer=ISSUER, secret_key="test-secret"),
                                        headers["Authorization"][7:])
    return tokens.by_jti(session, claims["jti"])


def test_token_of_a_suspended_person_is_refused(client, session, acme):
    token = person_token(session, acme["user"], acme["client"])
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["kind"] == "person"
    acme["user"].suspended_at = utcnow()
    session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)


def test_insufficient_scope_is_403_with_the_scope_named(client, session, acme):
    narrow, secret = system_client(session, acme["company"].id, scopes=("feeds.write",))
    response = client.get(f"/api/v1/companies/{acme['company'].slug}", headers=bearer(client_token(client, narrow,
                                                                                                   secret)))
    body = assert_problem(response, 403)
    assert "api.read" in body["detail"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert 'scope="api.read"' in response.headers["WWW-Authenticate"]


def test_a_logged_in_browser_session_is_not_an_api_credential(client, acme):
    login(client, acme["user"])
    assert_problem(client.get("/api/v1/me"), 401)


def test_members_only_portal_still_answers_api_tokens(client, session, acme, system):
    from portal.admin.services import set_members_only

    set_members_only(session, True)
    session.commit()
    assert client.get("/api/v1/me", headers=system).status_code == 200
    assert_problem(client.get("/api/v1/me"), 401)


# --- reading --------------------------------------------------------------------------------------

def test_profile_fields_follow_the_person_visibility(client, session, acme, system):
    _user, other = make_user(session, name="Omar Haddad", bio="Integrations lead", email="omar@example.org")
    session.commit()
    seen_by_system = client.get(f"/api/v1/people/{other.slug}", headers=system).get_json()
    assert seen_by_system["bio"] == "Integrations lead"           # members level
    assert seen_by_system["email"] is None and "email" in seen_by_system["hidden_fields"]  # connections only
    assert seen_by_system["url"] == f"{ISSUER}/people/{other.slug}"
    connect(session, acme["person"], other)
    session.commit()
    token = person_token(session, acme["user"], acme["client"])
    seen_by_connection = client.get(f"/api/v1/people/{other.slug}", headers=bearer(token)).get_json()
    assert seen_by_connection["email"] == "omar@example.org"
    assert "email" not in seen_by_connection["hidden_fields"]


def test_company_lists_its_active_members(client, acme, system):
    body = client.get(f"/api/v1/companies/{acme['company'].slug}", headers=system).get_json()
    assert body["name"] == "Acme Integration"
    assert [m["name"] for m in body["members"]] == ["Nina Kowalski"]


def test_unknown_person_company_and_thread_are_404_problems(client, system):
    for path in ("/api/v1/people/nobody", "/api/v1/companies/nothing", "/api/v1/threads/999999",
                 "/api/v1/people/%00", "/api/v1/threads/99999999999"):
        assert_problem(client.get(path, headers=system), 404)


def test_thread_posts_page_by_cursor(client, session, acme, system):
    data = forum(session, acme["person"])
    thread_id = data["thread"].id
    thread = client.get(f"/api/v1/threads/{thread_id}", headers=system).get_json()
    assert thread["title"] == "Pricing API for resellers" and thread["post_count"] == 3
    first = client.get(f"/api/v1/threads/{thread_id}/posts?limit=2", headers=system).get_json()
    assert [p["number"] for p in first["items"]] == [1, 2] and first["next_cursor"]
    second = client.get(f"/api/v1/threads/{thread_id}/posts",
                        query_string={"cursor": first["next_cursor"]}, headers=system).get_json()
    assert [p["body"] for p in second["items"]] == ["Version three is out."]
    assert second["next_cursor"] is None
    body = assert_problem(client.get(f"/api/v1/threads/{thread_id}/posts?cursor=bogus", headers=system), 400)
    assert body["errors"][0]["field"] == "cursor"


def test_private_group_threads_stay_private(client, session, acme, system):
    data = forum(session, acme["person"])
    secret_id = data["secret_thread"].id
    assert_problem(client.get(f"/api/v1/threads/{secret_id}", headers=system), 404)
    assert_problem(client.get(f"/api/v1/threads/{secret_id}/posts", headers=system), 404)
    outsider_user, _outsider = make_user(session, name="Olga Outsider")
    session.commit()
    outsider = bearer(person_token(session, outsider_user, acme["client"]))
    assert_problem(client.get(f"/api/v1/threads/{secret_id}", headers=outsider), 404)
    member = bearer(person_token(session, acme["user"], acme["client"]))  # Nina made the group
    assert client.get(f"/api/v1/threads/{secret_id}", headers=member).get_json()["title"] == "Acquisition plans"


def test_hidden_and_deleted_posts_have_no_text(client, session, acme, system):
    from portal.forums.services import delete_post, thread_posts_page
    from tests.test_forums_support import viewer_of

    data = forum(session, acme["person"])
    second = thread_posts_page(session, data["thread"], 1)[1]
    delete_post(session, second, viewer_of(acme["person"]))
    session.commit()
    items = client.get(f"/api/v1/threads/{data['thread'].id}/posts", headers=system).get_json()["items"]
    assert items[1]["deleted"] is True and items[1]["body"] is None and items[1]["body_html"] is None
    assert items[2]["body"] == "Version three is out."


def test_search_finds_what_the_caller_may_read(client, session, acme, system):
    forum(session, acme["person"])
    found = client.get("/api/v1/search", query_string={"q": "price lists"}, headers=system).get_json()
    assert [hit["title"] for hit in found["items"]][:1] == ["Pricing API for resellers"]
    assert found["items"][0]["url"].startswith(ISSUER + "/forums/")
    secret = client.get("/api/v1/search", query_string={"q": "confidential"}, headers=system).get_json()
    assert secret["items"] == []
    assert_problem(client.get("/api/v1/search?type=spaceship", headers=system), 400)


def test_recommendations_need_a_person_token(client, session, acme, system):
    body = assert_problem(client.get("/api/v1/recommendations", headers=system), 403)
    assert "person" in body["detail"]
    token = person_token(session, acme["user"], acme["client"])
    response = client.get("/api/v1/recommendations?limit=5", headers=bearer(token))
    assert response.status_code == 200 and isinstance(response.get_json()["items"], list)


def test_etag_answers_304_when_nothing_changed(client, acme, system):
    path = f"/api/v1/companies/{acme['company'].slug}"
    first = client.get(path, headers=system)
    assert first.headers["ETag"] and "Authorization" in first.headers["Vary"]
    again = client.get(path, headers={**system, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


# --- problems for everything ----------------------------------------------------------------------

def test_unknown_address_and_wrong_method_are_problems(client, system):
    assert_problem(client.get("/api/v1/spaceships", headers=system), 404)
    response = client.delete("/api/v1/me", headers=system)
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "colour=blue", "limit=1&limit=2"])
def test_bad_query_strings_are_400_problems_naming_the_parameter(client, session, acme, system, query):
    data = forum(session, acme["person"])
    body = assert_problem(client.get(f"/api/v1/threads/{data['thread'].id}/posts?{query}", headers=system), 400)
    assert body["errors"]


def test_rate_limit_per_client_is_a_429_problem(client, app, session, acme, system):
    app.config["API_RATELIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            assert client.get("/api/v1/me", headers=system).status_code == 200
        response = client.get("/api/v1/me", headers=system)
        assert_problem(response, 429)
        assert int(response.headers["Retry-After"]) >= 1
        other, secret = system_client(session, acme["company"].id)  # another client has its own allowance
        assert client.get("/api/v1/me", headers=bearer(client_token(client, other, secret))).status_code == 200
    finally:
        app.config["API_RATELIMIT"] = "600 per minute"


def test_a_person_application_gets_an_api_token_by_authorization_code(client, session, acme):
    """The whole flow a people's application runs: authorize with PKCE and resource=<API>,
    exchange the code, call the API as the person."""
    from tests.test_provider_support import exchange, get_code, grant_consent, log_in, pkce_pair

    app_client, secret = system_client(session, acme["company"].id, audience=None,
                                       scopes=("openid", "profile", "api.read"),
                                       grant_types=("authorization_code",))
    grant_consent(session, acme["user"], app_client, ["openid", "profile", "api.read"])
    log_in(client, acme["user"])
    verifier, challenge = pkce_pair()
    code, _query = get_code(client, app_client, challenge=challenge, scope="openid profile api.read", resource=API)
    client.get("/auth/logout")  # the API ignores the browser session either way
    response = exchange(client, app_client, secret, code, verifier)
    assert response.status_code == 200, response.get_data(as_text=True)
    token = response.get_json()["access_token"]
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["kind"] == "person" and me["person"]["name"] == "Nina Kowalski"


def test_a_cursor_holding_true_instead_of_a_number_is_refused(client, session, acme, system):
    from portal.api import cursors

    data = forum(session, acme["person"])
    bogus = cursors.encode({"p": True, "s": 2})
    assert_problem(client.get(f"/api/v1/threads/{data['thread'].id}/posts", query_string={"cursor": bogus},
                              headers=system), 400)


def test_an_unexpected_error_is_a_500_problem_not_a_page(client, app, monkeypatch, acme, system):
    from portal.api import services

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "company_view", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    body = assert_problem(client.get(f"/api/v1/companies/{acme['company'].slug}", headers=system), 500)
    assert "database" not in body["detail"]  # nothing internal leaks
