"""Company sign-in over HTTP: the portal's pages against a real (small) identity provider on loopback.

The test client plays the browser: it posts the work email, reads where the portal sends it,
plays the provider's redirect back with a code, and the portal calls the provider's token
endpoint and JWKS over real HTTP.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.auth.federation import services
from portal.auth.federation.models import FederatedIdentity
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.companies.services import set_company_domains
from portal.profiles.services import person_for_user
from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_companies_support import login, make_company, make_user
from tests.test_federation_support import (  # noqa: F401 - fixtures
    CLIENT_ID,
    CLIENT_SECRET,
    FakeIdP,
    idp_fixture,
    pkce_matches,
)

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def loopback_providers(app, monkeypatch):
    monkeypatch.setitem(app.config, "FEDERATION_ALLOW_HTTP_LOOPBACK", True)
    app.extensions.pop("federation_directory", None)
    yield
    app.extensions.pop("federation_directory", None)


def _company_with_provider(session, idp, name="Acme", domain="acme.example", **settings):
    _, admin = make_user(session, f"admin@{domain}", name=f"{name} Admin")
    company = make_company(session, admin, name)
    set_company_domains(session, company, [domain])
    values = {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "domains": [domain],
              **settings}
    provider = services.save_provider(session, company, services.ProviderSettings(**values),
                                      secret_key="test-secret", discover=lambda issuer: {},
                                      allow_http_loopback=True)
    return company, provider


@pytest.fixture
def acme(session, idp):
    company, provider = _company_with_provider(session, idp, claim_mapping={"job_title": "title"})
    session.commit()
    return company, provider


def start(client, email="nina@acme.example", next_path=""):
    """Post the work email; returns the query of the provider authorization URL we are sent to."""
    response = client.post("/login/company", data={"email": email, "next": next_path})
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def come_back(client, company, query, idp, **params):
    """The provider redirects the browser back with a code (and, RFC 9207, its issuer)."""
    idp.pending_nonce = query["nonce"]
    values = {"code": "good-code", "state": query["state"], "iss": idp.issuer, **params}
    return client.get(f"/login/company/callback/{company.id}", query_string={k: v for k, v in values.items()
                                                                           if v is not None})


def logged_in_as(client) -> str | None:
    page = client.get("/").get_data(as_text=True)
    return page if "Log out" in page else None


def test_the_login_page_offers_company_sign_in(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Company sign-in" in page and 'action="/login/company"' in page
    assert 'for="sso-email"' in page and 'id="sso-email"' in page


def test_an_address_without_a_provider_is_told_to_use_its_password(client, acme):
    response = client.post("/login/company", data={"email": "someone@globex.example"})
    assert response.status_code == 400
    assert "No company sign-in is set up for this address" in response.get_data(as_text=True)


def test_the_authorization_request_carries_state_nonce_pkce_and_the_callback(client, acme, idp):
    company, _ = acme
    url, query = start(client)
    assert url.startswith(f"{idp.issuer}/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["scope"] == "openid email profile" and query["login_hint"] == "nina@acme.example"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32 and query["state"] != query["nonce"]
    assert query["redirect_uri"].endswith(f"/login/company/callback/{company.id}")


def test_a_new_person_signs_in_and_joins_the_company(client, session, acme, idp):
    company, _ = acme
    idp.userinfo = {"sub": "idp-user-1", "title": "Solution Architect"}
    _, query = start(client, next_path="/forums/")
    response = come_back(client, company, query, idp)
    assert response.status_code == 302 and response.headers["Location"] == "/forums/"
    # The code went to the token endpoint with the PKCE verifier and the client's credentials.
    sent = idp.token_requests[-1]
    assert sent["grant_type"] == "authorization_code" and sent["code"] == "good-code"
    assert pkce_matches(sent["code_verifier"], query["code_challenge"])
    assert sent["redirect_uri"] == query["redirect_uri"] and sent["authorization"].startswith("Basic ")
    assert logged_in_as(client)
    with client.session_transaction() as browser:
        assert browser["amr"] == ["fed"] and browser["auth_time"] > 0
    user = session.scalar(select(User).where(User.email == "nina@acme.example"))
    person = person_for_user(session, user.id)
    assert (person.name, person.job_title, person.company_id, person.membership_status) == (
        "Nina Novak", "Solution Architect", company.id, "active")


def test_a_callback_works_once(client, acme, idp):
    company, _ = acme
    _, query = start(client)
    assert come_back(client, company, query, idp).status_code == 302
    client.post("/logout")
    replay = come_back(client, company, query, idp)
    assert replay.status_code == 400 and "not started in this browser" in replay.get_data(as_text=True)
    assert not logged_in_as(client)


def test_a_forged_state_is_refused(client, acme, idp):
    company, _ = acme
    _, query = start(client)
    response = come_back(client, company, {**query, "state": "attacker-state"}, idp)
    assert response.status_code == 400 and not logged_in_as(client)
    assert idp.token_requests == []  # the code was never redeemed


def test_a_bad_id_token_signs_nobody_in(client, session, acme, idp):
    company, _ = acme
    _, query = start(client)
    idp.claims_for_token = lambda nonce: idp.claims("a-nonce-from-another-flow")
    response = come_back(client, company, query, idp)
    assert response.status_code == 400
    assert "could not be verified" in response.get_data(as_text=True) and not logged_in_as(client)
    assert session.scalar(select(User).where(User.email == "nina@acme.example")) is None


def test_alg_none_at_the_callback_is_refused(client, acme, idp):
    company, _ = acme
    _, query = start(client)
    idp.token_override = FakeIdP.unsigned(idp.claims(query["nonce"]))
    assert come_back(client, company, query, idp).status_code == 400 and not logged_in_as(client)


def test_the_provider_refusing_is_shown_plainly(client, acme, idp):
    company, _ = acme
    _, query = start(client)
    response = come_back(client, company, query, idp, code=None, error="access_denied")
    assert response.status_code == 400 and "cancelled" in response.get_data(as_text=True)


def test_mix_up_a_response_from_provider_b_for_a_flow_started_with_a(client, session, acme, idp):
    company_a, _ = acme
    idp_b = FakeIdP()
    try:
        company_b, _ = _company_with_provider(session, idp_b, name="Globex", domain="globex.example")
        session.commit()
        _, query = start(client)  # the flow starts with A
        # B's response (its issuer) arrives at A's callback with A's state.
        response = come_back(client, company_a, query, idp, iss=idp_b.issuer)
        assert response.status_code == 400 and "different identity provider" in response.get_data(as_text=True)
        # The browser is sent to B's callback with the state of A's flow.
        _, query = start(client)
        response = come_back(client, company_b, query, idp_b)
        assert response.status_code == 400 and "different identity provider" in response.get_data(as_text=True)
        assert idp.token_requests == [] and idp_b.token_requests == [] and not logged_in_as(client)
    finally:
        idp_b.stop()


def test_an_existing_account_is_linked_only_with_its_password(client, session, acme, idp):
    company, _ = acme
    user, person = make_user(session, "nina@acme.example", name="Nina Local")
    user.password_hash = hash_password(PASSWORD)
    session.commit()
    _, query = start(client)
    response = come_back(client, company, query, idp)
    assert response.status_code == 302 and response.headers["Location"] == "/login/company/link"
    assert not logged_in_as(client)
    page = client.get("/login/company/link").get_data(as_text=True)
    assert "nina@acme.example" in page and "enter its password once" in page
    wrong = client.post("/login/company/link", data={"password": "not-the-password"})
    assert wrong.status_code == 200 and "Email or password is wrong" in wrong.get_data(as_text=True)
    assert not logged_in_as(client)
    right = client.post("/login/company/link", data={"password": PASSWORD})
    assert right.status_code == 302 and logged_in_as(client)
    session.expire_all()
    identity = session.scalar(select(FederatedIdentity))
    assert identity.user_id == user.id and identity.linked_by == "password"
    # Next time the company sign-in alone is enough.
    client.post("/logout")
    _, query = start(client)
    assert come_back(client, company, query, idp).headers["Location"] == "/"
    assert logged_in_as(client)


def test_an_unverified_local_account_is_not_linked(client, session, acme, idp):
    company, _ = acme
    user, _ = make_user(session, "nina@acme.example")
    user.email_verified_at = None
    session.commit()
    _, query = start(client)
    response = come_back(client, company, query, idp)
    assert response.status_code == 400 and "never confirmed" in response.get_data(as_text=True)
    assert client.get("/login/company/link").status_code == 302  # nothing pending


def test_require_sso_refuses_the_password_but_not_for_ecosystem_admins(client, session, idp):
    company, _ = _company_with_provider(session, idp, sso_domains=["acme.example"])
    member, _ = make_user(session, "pat@acme.example")
    admin, _ = make_user(session, "root@acme.example", role="ecosystem_admin")
    for user in (member, admin):
        user.password_hash = hash_password(PASSWORD)
    session.commit()
    refused = client.post("/login", data={"email": "pat@acme.example", "password": PASSWORD})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "through its own identity provider" in page
    assert 'value="pat@acme.example"' in page.split('id="sso-heading"')[1]  # the company sign-in, prefilled
    assert not logged_in_as(client)
    allowed = client.post("/login", data={"email": "root@acme.example", "password": PASSWORD})
    assert allowed.status_code == 302 and logged_in_as(client)


def test_company_sign_in_works_while_the_portal_is_members_only(client, session, acme, idp):
    from portal.admin.services import set_members_only

    company, _ = acme
    set_members_only(session, True)
    session.commit()
    _, query = start(client)
    assert come_back(client, company, query, idp).status_code == 302 and logged_in_as(client)


# --- Configuration page --------------------------------------------------------------------------

def test_only_company_and_ecosystem_admins_configure(client, session, acme):
    company, _ = acme
    url = f"/companies/{company.slug}/sign-in"
    assert client.get(url).status_code == 302  # to the login page
    stranger, _ = make_user(session, "someone@elsewhere.example")
    eco, _ = make_user(session, "eco@elsewhere.example", role="ecosystem_admin")
    session.commit()
    login(client, stranger)
    assert client.get(url).status_code == 403
    login(client, eco)
    assert client.get(url).status_code == 200
    admin = session.scalar(select(User).where(User.email == "admin@acme.example"))
    login(client, admin)
    page = client.get(url).get_data(as_text=True)
    assert f"/login/company/callback/{company.id}" in page and "acme.example" in page
    assert CLIENT_SECRET not in page


def test_the_admin_saves_a_provider_after_discovery_is_checked(client, session, idp):
    user, admin = make_user(session, "admin@acme.example")
    company = make_company(session, admin, "Acme")
    set_company_domains(session, company, ["acme.example"])
    session.commit()
    login(client, user)
    url = f"/companies/{company.slug}/sign-in"
    form = {"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "domains": "acme.example", "sso_domains": "", "role_claim": "groups", "admin_values": "pm-admins"}
    wrong = client.post(url, data={**form, "issuer": idp.issuer + "/"})
    assert wrong.status_code == 400
    assert "names the issuer" in wrong.get_data(as_text=True)
    unreachable = client.post(url, data={**form, "issuer": "http://127.0.0.1:9"})
    assert unreachable.status_code == 400 and "Could not read" in unreachable.get_data(as_text=True)
    not_https = client.post(url, data={**form, "issuer": "http://login.acme.example"})
    assert not_https.status_code == 400 and "must use https" in not_https.get_data(as_text=True)
    saved = client.post(url, data=form)
    assert saved.status_code == 302
    session.expire_all()
    provider = services.provider_for_company(session, company.id)
    assert provider.issuer == idp.issuer and provider.claim_mapping["admin_values"] == ["pm-admins"]
    assert services.provider_for_email(session, "x@acme.example") == provider
    assert client.post(f"{url}/delete").status_code == 302
    session.expire_all()
    assert services.provider_for_company(session, company.id) is None
