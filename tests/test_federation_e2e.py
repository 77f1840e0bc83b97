"""Two ecosystems federating, end to end on loopback: portal B is the company identity provider of
portal A. Both run as real HTTP servers (werkzeug, threads) on their own databases; a
requests.Session plays the browser and fills in the real forms (CSRF tokens included).

A's company admin connects B on A's configuration page (A fetches B's discovery over HTTP), then a
person of that company who only has an account at B signs in to A: A → B's authorize endpoint →
B's login page → B's consent page → A's callback → A exchanges the code with B, verifies the ID
token with B's JWKS, provisions the person into the company, logs them in.
"""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from portal import create_app
from portal.auth.federation.models import FederatedIdentity
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.companies.services import set_company_domains
from portal.db import db
from portal.extensions import limiter
from portal.migrate import upgrade
from portal.profiles.services import person_for_user
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_companies_support import make_company, make_user

PASSWORD = "correct-horse-battery"


class Portal:
    """One portal instance served on 127.0.0.1 in a thread."""

    def __init__(self, folder, name: str) -> None:
        url = f"sqlite:///{folder / (name + '.db')}"
        upgrade(url)
        self.app = create_app({
            "TESTING": False, "DATABASE_URL": url, "INSTANCE_PATH": str(folder / name),
            "SECRET_KEY": f"{name}-secret", "RATELIMIT_ENABLED": False, "SMTP_HOST": "",
            "FEDERATION_ALLOW_HTTP_LOOPBACK": True, "SEARCH_BACKGROUND_REBUILD": False,
            # Both run on 127.0.0.1, and cookies ignore ports: distinct names keep the two sessions
            # apart, as distinct host names would in production.
            "SESSION_COOKIE_NAME": f"{name}_session",
        })
        self.app.extensions["portal_search"].rebuild(None, [])
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["SERVER_NAME_FOR_MAIL"] = self.url  # the issuer and every absolute link
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def session(self):
        with self.app.app_context():
            return db.new_session()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        with self.app.app_context():
            db.engine.dispose()


class _Forms(HTMLParser):
    """Every form of a page: action, method and the values a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                               "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def submit(browser: requests.Session, response: requests.Response, action_part: str, *, follow: bool = True,
           **values) -> requests.Response:
    """Fill in and send the form whose action contains `action_part` on the page `response` shows."""
    parser = _Forms()
    parser.feed(response.text)
    form = next((f for f in parser.forms if action_part in f["action"]), None)
    assert form is not None, f"no form posting to {action_part} on {response.url}:\n{response.text[:2000]}"
    return browser.post(urljoin(response.url, form["action"]), data={**form["fields"], **values}, timeout=10,
                        allow_redirects=follow)


@pytest.fixture
def portals(tmp_path):
    # Flask-Limiter keeps its settings on the one shared Limiter, not per app: the last init_app
    # (ours, with limits off) would switch the suite's rate limits off. Put them back afterwards.
    saved = {key: (dict(value) if isinstance(value, dict) else value) for key, value in limiter.__dict__.items()}
    rp, idp = Portal(tmp_path, "rp"), Portal(tmp_path, "idp")
    yield rp, idp
    rp.stop()
    idp.stop()
    limiter.__dict__.update(saved)


def _setup(rp: Portal, idp: Portal) -> dict:
    """Acme is on both portals; at B (its identity provider) Nina has an account, at A nobody but
    Acme's admin. A is registered at B as an OAuth client whose redirect URI is A's callback."""
    from portal.auth.provider.clients import register_client

    with rp.app.app_context():
        session = db.new_session()
        admin, person = make_user(session, "olga@acme.example", name="Olga Admin")
        admin.password_hash = hash_password(PASSWORD)
        company = make_company(session, person, "Acme Integration")
        set_company_domains(session, company, ["acme.example"])
        session.commit()
        company_id, slug = company.id, company.slug
        session.close()
    with idp.app.app_context():
        session = db.new_session()
        nina, _ = make_user(session, "nina@acme.example", name="Nina Kowalski")
        nina.password_hash = hash_password(PASSWORD)
        client, secret = register_client(
            session, name="PartnerMesh A", owner_company_id=None,
            redirect_uris=[f"{rp.url}/login/company/callback/{company_id}"], grant_types=["authorization_code"],
            token_endpoint_auth_method="client_secret_basic", scopes=["openid", "profile", "email"])
        session.commit()
        client_id = client.client_id
        session.close()
    return {"company_id": company_id, "slug": slug, "client_id": client_id, "secret": secret}


def _configure_at_a(rp: Portal, idp: Portal, setup: dict) -> None:
    """Acme's admin at A connects B on the configuration page (A checks B's discovery on save)."""
    browser = requests.Session()
    login = browser.get(f"{rp.url}/login", timeout=10)
    home = submit(browser, login, "/login", email="olga@acme.example", password=PASSWORD)
    assert "Log out" in home.text
    page = browser.get(f"{rp.url}/companies/{setup['slug']}/sign-in", timeout=10)
    assert f"{rp.url}/login/company/callback/{setup['company_id']}" in page.text
    wrong = submit(browser, page, "/sign-in", issuer=idp.url + "/", client_id=setup["client_id"],
                   client_secret=setup["secret"], domains="acme.example")
    assert wrong.status_code == 400 and "names the issuer" in wrong.text
    saved = submit(browser, page, "/sign-in", issuer=idp.url, client_id=setup["client_id"],
                   client_secret=setup["secret"], domains="acme.example", job_title="")
    assert saved.status_code == 200 and "the provider answered" in saved.text, saved.text[:2000]


def _sign_in_at_a(browser: requests.Session, rp: Portal, idp: Portal, *, expect_login: bool,
                  expect_consent: bool) -> requests.Response:
    login = browser.get(f"{rp.url}/login", timeout=10)
    response = submit(browser, login, "/login/company", email="nina@acme.example")
    if expect_login:
        assert response.url.startswith(f"{idp.url}/login"), response.url
        assert 'value="nina@acme.example"' in response.text  # B's login page prefilled from login_hint
        response = submit(browser, response, "/login", email="nina@acme.example", password=PASSWORD)
    if expect_consent:
        assert response.url.startswith(f"{idp.url}/oauth/authorize"), response.url
        assert "PartnerMesh A" in response.text
        response = submit(browser, response, "/oauth/authorize/decision", decision="allow")
    return response


def test_portal_b_is_the_company_identity_provider_of_portal_a(portals):
    rp, idp = portals
    setup = _setup(rp, idp)
    _configure_at_a(rp, idp, setup)

    browser = requests.Session()
    final = _sign_in_at_a(browser, rp, idp, expect_login=True, expect_consent=True)
    # Back on A, signed in: the callback verified B's ID token and provisioned Nina into Acme.
    assert urlsplit(final.url).netloc == urlsplit(rp.url).netloc, final.url
    assert final.status_code == 200 and "Log out" in final.text, final.text[:2000]
    hops = [urlsplit(r.headers.get("Location", "")).path for r in final.history]
    assert "/" in hops or final.url.rstrip("/") == rp.url
    session = rp.session()
    user = session.scalar(select(User).where(User.email == "nina@acme.example"))
    person = person_for_user(session, user.id)
    assert person.name == "Nina Kowalski" and person.company_id == setup["company_id"]
    assert person.membership_status == "active" and user.email_verified_at is not None
    identity = session.scalar(select(FederatedIdentity))
    assert identity.user_id == user.id and identity.linked_by == "provisioned"
    with idp.app.app_context():
        idp_session = db.new_session()
        nina_at_b = idp_session.scalar(select(User).where(User.email == "nina@acme.example"))
        assert identity.subject == str(nina_at_b.id)  # B's `sub`
        idp_session.close()
    session.close()

    # Log out of A only: B still knows Nina and her consent, so the round trip needs no page at B.
    logout = browser.get(f"{rp.url}/", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', logout.text).group(1)
    assert "Log in" in browser.post(f"{rp.url}/logout", data={"csrf_token": token}, timeout=10).text
    again = _sign_in_at_a(browser, rp, idp, expect_login=False, expect_consent=False)
    assert urlsplit(again.url).netloc == urlsplit(rp.url).netloc and "Log out" in again.text
    session = rp.session()
    assert session.scalar(select(User).where(User.email == "nina@acme.example")).id == user.id
    session.close()


def test_a_code_from_b_is_refused_when_the_flow_was_not_started_in_this_browser(portals):
    """An attacker who completes B's flow and hands the victim the callback link (login CSRF)
    gets nowhere: the victim's browser holds no flow with that state."""
    rp, idp = portals
    setup = _setup(rp, idp)
    _configure_at_a(rp, idp, setup)
    attacker = requests.Session()
    login = attacker.get(f"{rp.url}/login", timeout=10)
    at_b = submit(attacker, login, "/login/company", email="nina@acme.example", follow=False)
    assert at_b.status_code == 302
    login_page = attacker.get(at_b.headers["Location"], timeout=10)
    after_login = submit(attacker, login_page, "/login", email="nina@acme.example", password=PASSWORD)
    consent = submit(attacker, after_login, "/oauth/authorize/decision", decision="allow", follow=False)
    callback = consent.headers["Location"]
    assert callback.startswith(f"{rp.url}/login/company/callback/") and "code=" in callback
    victim = requests.Session()
    response = victim.get(callback, timeout=10)
    assert response.status_code == 400 and "not started in this browser" in response.text
