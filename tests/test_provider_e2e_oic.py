"""End to end on loopback: the independent OpenID Connect client library `oic` (CZ-NIC/pyoidc;
not the project's code) discovers the portal, runs the code flow with PKCE through a real HTTP
server, and validates the ID token (signature from the JWKS, iss, aud, nonce) itself."""

from __future__ import annotations

import re
import threading
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from portal import create_app
from portal.migrate import upgrade
from tests.conftest import LIVE_RATE_LIMITS

oic = pytest.importorskip("oic")
from oic.oic import Client  # noqa: E402
from oic.oic.message import AuthorizationResponse, RegistrationResponse  # noqa: E402
from oic.utils.authn.client import CLIENT_AUTHN_METHOD  # noqa: E402

REDIRECT = "http://127.0.0.1:9/cb"  # never served: the test reads the redirect instead of following it
PASSWORD = "a-long-enough-password-42"


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory):
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("oic-live")
    url = f"sqlite:///{folder / 'live.db'}"
    upgrade(url)
    app = create_app({"TESTING": False, "DATABASE_URL": url, "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "oic-live-secret", "SMTP_HOST": "", **LIVE_RATE_LIMITS})
    app.extensions["portal_search"].rebuild(None, [])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["SERVER_NAME_FOR_MAIL"] = base  # the issuer is the address clients reach
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, base
    server.shutdown()
    thread.join(timeout=5)


def _setup(app, email: str):
    from portal.auth import services
    from portal.auth.provider.clients import register_client
    from portal.db import db

    with app.app_context():
        services.register_account(db.session, "Olga Client", email, PASSWORD, verified=True)
        client, secret = register_client(db.session, name="oic RP", owner_company_id=None, redirect_uris=[REDIRECT],
                                         grant_types=["authorization_code", "refresh_token"],
                                         token_endpoint_auth_method="client_secret_basic",
                                         scopes=["openid", "profile", "email"])
        db.commit()
        return client.client_id, secret


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _browser_login_and_consent(base: str, url: str, email: str) -> str:
    """A person's browser: follows the authorization URL, logs in, allows; returns the redirect."""
    browser = requests.Session()
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_url = urljoin(base, response.headers["Location"])
    page = browser.get(login_url)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', page.text).group(1).replace("&amp;", "&")
    response = browser.post(login_url, data={"csrf_token": _csrf(page.text), "email": email, "password": PASSWORD,
                                             "next": next_value}, allow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    consent = browser.get(urljoin(base, response.headers["Location"]), allow_redirects=False)
    assert consent.status_code == 200 and "Share with oic RP?" in consent.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', consent.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    fields.update(csrf_token=_csrf(consent.text), decision="allow")
    answer = browser.post(urljoin(base, "/oauth/authorize/decision"), data=fields, allow_redirects=False)
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_oic_library_completes_code_flow_with_pkce_and_validates_the_id_token(portal_server):
    app, base = portal_server
    client_id, secret = _setup(app, "olga@example.org")
    rp = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    rp.provider_config(base)  # discovery + JWKS
    assert rp.provider_info["issuer"] == base
    rp.store_registration_info(RegistrationResponse(client_id=client_id, client_secret=secret,
                                                    redirect_uris=[REDIRECT]))
    rp.redirect_uris = [REDIRECT]
    pkce_args, verifier = rp.add_code_challenge()
    state, nonce = "state-oic-1", "nonce-oic-1"
    request_args = {"client_id": client_id, "response_type": "code", "scope": ["openid", "email", "profile"],
                    "nonce": nonce, "redirect_uri": REDIRECT, "state": state, **pkce_args}
    auth_url = rp.construct_AuthorizationRequest(request_args=request_args).request(rp.authorization_endpoint)
    location = _browser_login_and_consent(base, auth_url, "olga@example.org")
    assert location.startswith(REDIRECT + "?")
    auth_response = rp.parse_response(AuthorizationResponse, info=urlsplit(location).query, sformat="urlencoded")
    assert auth_response["state"] == state and auth_response["iss"] == base

    token_response = rp.do_access_token_request(
        state=state, request_args={"code": auth_response["code"], "code_verifier": verifier,
                                   "redirect_uri": REDIRECT}, authn_method="client_secret_basic")
    id_token = token_response["id_token"]  # oic verified its signature (JWKS), iss, aud and nonce
    assert id_token["iss"] == base and id_token["nonce"] == nonce and client_id in id_token["aud"]
    assert id_token["email"] == "olga@example.org"
    userinfo = rp.do_user_info_request(state=state)
    assert userinfo["sub"] == id_token["sub"] and userinfo["name"] == "Olga Client"

    # The same code a second time: refused.
    again = requests.post(urljoin(base, "/oauth/token"), auth=(client_id, secret),
                          data={"grant_type": "authorization_code", "code": auth_response["code"],
                                "redirect_uri": REDIRECT, "code_verifier": verifier}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
