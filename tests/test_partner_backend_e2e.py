"""The example member back-end (examples/partner_backend) against a real portal, end to end on
loopback: both are werkzeug servers in threads; tokens come from the portal's HTTP endpoints
(client credentials for partner systems, the code flow with PKCE through the real login and
consent pages for a partner's person), and the back-end checks them offline against the portal's
discovery document and JWKS.

Accepted: a reseller partner's system and person holding orders:read. Rejected: a non-partner's
token (403), an expired one, one for another audience, a tampered one, `alg: none`, one signed
by a key the portal does not publish, one for the wrong issuer, an ID token (401 each). After the
partnership ends, a new token lacks the entitlement (403) and introspection calls older ones
inactive.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from portal.auth.passwords import hash_password
from portal.auth.provider import keys
from portal.auth.provider import tokens as portal_tokens
from portal.auth.provider.clients import register_client
from portal.auth.provider.settings import current_settings
from portal.db import db
from portal.partnerships import grants, services, systems
from tests.test_federation_e2e import submit
from tests.test_partnerships_support import company_with_admin, member_of
from tests.test_provider_support import fast_password_hashing, pkce_pair  # noqa: F401 - autouse fixture

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from partner_backend import create_app as create_backend  # noqa: E402

PASSWORD = "orders-are-coming-in-42"
REDIRECT = "http://127.0.0.1:9/callback"  # never served: the test reads the redirect instead of following it


@contextmanager
def serve_backend(issuer: str, audience: str, folder: Path, **config):
    app = create_backend({"PORTAL_ISSUER": issuer, "BACKEND_AUDIENCE": audience,
                          "BACKEND_DATABASE": str(folder / f"orders-{secrets.token_hex(3)}.db"), **config})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app.extensions["partner_backend"]["trust"]
    finally:
        server.shutdown()
        thread.join(timeout=5)


class World:
    """Acme runs the orders API; Beta is its reseller partner (orders:read for every reseller);
    Gamma is no partner. Each company has a system with an OAuth client (client credentials)."""

    def __init__(self, live_server) -> None:
        self.portal = live_server.url
        tag = secrets.token_hex(3)
        self.audience = f"https://orders-{tag}.acme.example/api"
        self.billing = f"urn:acme-{tag}:billing"
        with live_server.app.app_context():
            s = db.new_session()
            _, self.acme_admin, self.acme = company_with_admin(s, f"Acme Orders {tag}")
            _, self.beta_admin, self.beta = company_with_admin(s, f"Beta Resell {tag}")
            _, gamma_admin, gamma = company_with_admin(s, f"Gamma Outside {tag}")
            self.system = systems.register_system(s, self.acme_admin, name="Acme orders", audience=self.audience)
            self.read = systems.define_entitlement(s, self.acme_admin, self.system, name="orders:read")
            systems.define_entitlement(s, self.acme_admin, self.system, name="orders:write")
            systems.register_system(s, self.acme_admin, name="Acme billing", audience=self.billing)
            proposal = services.propose(s, self.acme_admin, self.beta.id, "reseller")
            services.answer(s, self.beta_admin, proposal.id, True)
            grants.grant(s, self.acme_admin, self.system, self.read, kind="reseller")
            self.acme_client = systems.create_client(s, self.acme_admin, self.system)
            self.beta_client = self._system_client(s, self.beta_admin, f"https://shop-{tag}.beta.example/api")
            self.gamma_client = self._system_client(s, gamma_admin, f"https://shop-{tag}.gamma.example/api")
            buyer_user, _ = member_of(s, self.beta, "Bruno Buyer")
            buyer_user.password_hash = hash_password(PASSWORD)
            self.buyer_email = buyer_user.email
            app_client, secret = register_client(
                s, name="Beta storefront", owner_company_id=self.beta.id, redirect_uris=[REDIRECT],
                grant_types=["authorization_code"], token_endpoint_auth_method="client_secret_basic",
                scopes=["openid", "org", "entitlements"])
            self.storefront = (app_client.client_id, secret)
            s.commit()
            s.close()

    @staticmethod
    def _system_client(s, admin, audience: str) -> tuple[str, str]:
        own = systems.register_system(s, admin, name="Shop", audience=audience)
        return systems.create_client(s, admin, own)

    def system_token(self, client: tuple[str, str], audience: str | None = None) -> str:
        response = requests.post(f"{self.portal}/oauth/token", auth=client, timeout=10, data={
            "grant_type": "client_credentials", "scope": "entitlements org", "resource": audience or self.audience})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def person_tokens(self) -> dict:
        """Bruno signs in at the portal through the storefront (code flow, PKCE, consent)."""
        browser = requests.Session()
        verifier, challenge = pkce_pair()
        login = browser.get(f"{self.portal}/oauth/authorize", timeout=10, params={
            "response_type": "code", "client_id": self.storefront[0], "redirect_uri": REDIRECT,
            "scope": "openid org entitlements", "state": "s1", "nonce": secrets.token_urlsafe(8),
            "resource": self.audience,
            "code_challenge": challenge, "code_challenge_method": "S256"})
        response = submit(browser, login, "/login", follow=False, email=self.buyer_email, password=PASSWORD)
        while not response.headers.get("Location", "").startswith(REDIRECT):
            if response.status_code == 200:  # the consent page (only the first time)
                response = submit(browser, response, "/oauth/authorize/decision", follow=False, decision="allow")
            else:
                assert response.status_code == 302, response.text[:2000]
                response = browser.get(urljoin(response.url, response.headers["Location"]), timeout=10,
                                       allow_redirects=False)
        code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
        response = requests.post(f"{self.portal}/oauth/token", auth=self.storefront, timeout=10, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def world(live_server):
    return World(live_server)


@pytest.fixture(scope="module")
def backend(world, tmp_path_factory):
    with serve_backend(world.portal, world.audience, tmp_path_factory.mktemp("backend")) as running:
        yield running


def call(base: str, token: str | None, path: str = "/orders", method: str = "GET", **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, base + path, headers=headers, timeout=10, **kw)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    pad = lambda part: base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))  # noqa: E731
    return json.loads(pad(header)), json.loads(pad(payload))


def portal_signed(live_server, claims: dict) -> str:
    """A token signed with the portal's own active key (to make one the portal would not issue)."""
    with live_server.app.app_context():
        s = db.new_session()
        token = portal_tokens.sign(current_settings(), s, claims, typ="at+jwt")
        s.commit()
        s.close()
    return token


def _rejected(response: requests.Response, status: int = 401, error: str = "invalid_token") -> None:
    assert response.status_code == status, (response.status_code, response.text)
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer ") and f'error="{error}"' in challenge, challenge


def test_a_partners_system_and_person_are_let_in_by_their_entitlements(world, backend):
    base, _ = backend
    system_token = world.system_token(world.beta_client)
    response = call(base, system_token)
    assert response.status_code == 200 and response.json() == {"orders": []}
    me = call(base, system_token, "/me").json()
    assert me["entitlements"] == ["orders:read"] and me["org"]["id"] == str(world.beta.id)
    # orders:write was not granted to resellers: the token is good, the entitlement missing.
    _rejected(call(base, system_token, method="POST", json={"item": "Beans", "quantity": 2}), 403,
              "insufficient_scope")

    person = world.person_tokens()
    response = call(base, person["access_token"])
    assert response.status_code == 200, response.text
    assert call(base, person["access_token"], "/me").json()["entitlements"] == ["orders:read"]
    # Acme's own system holds every entitlement of Acme's systems: it can place orders, which partners see.
    own = world.system_token(world.acme_client)
    placed = call(base, own, method="POST", json={"item": "Espresso beans", "quantity": 3})
    assert placed.status_code == 201 and placed.json()["org"] == str(world.acme.id)
    assert [o["item"] for o in call(base, person["access_token"]).json()["orders"]] == ["Espresso beans"]
    assert call(base, own, method="POST", json={"item": "", "quantity": 0}).status_code == 400


def test_no_token_gets_a_bare_bearer_challenge(backend):
    base, _ = backend
    response = call(base, None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="partner-backend"'  # RFC 6750 3.1: no error code
    assert call(base, None, "/healthz").status_code == 200


def test_a_non_partners_token_is_refused(world, backend):
    base, _ = backend
    token = world.system_token(world.gamma_client)
    assert call(base, token, "/me").json()["entitlements"] == []
    _rejected(call(base, token), 403, "insufficient_scope")


def test_bad_tokens_are_refused(world, backend, live_server):
    base, _ = backend
    good = world.system_token(world.beta_client)
    header, claims = _parts(good)
    now = int(time.time())

    expired = portal_signed(live_server, {**claims, "iat": now - 7200, "exp": now - 3600})
    _rejected(call(base, expired))
    not_yet = portal_signed(live_server, {**claims, "nbf": now + 3600})
    _rejected(call(base, not_yet))
    other_issuer = portal_signed(live_server, {**claims, "iss": "https://portal.evil.example"})
    _rejected(call(base, other_issuer))
    other_audience = world.system_token(world.beta_client, audience=world.billing)
    _rejected(call(base, other_audience))

    # Tampered: the payload grants orders:write, the signature is the original one.
    head, _, signature = good.split(".")
    tampered = ".".join([head, _b64({**claims, "entitlements": ["orders:read", "orders:write"]}), signature])
    _rejected(call(base, tampered, method="POST", json={"item": "Beans", "quantity": 1}))
    unsigned = ".".join([_b64({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}), _b64(claims), ""])
    _rejected(call(base, unsigned))
    # HS256 keyed with the portal's public key (algorithm confusion): algorithms are pinned.
    public_pem = RSAKey.import_key(next(k for k in requests.get(f"{world.portal}/oauth/jwks", timeout=10)
                                        .json()["keys"] if k["kid"] == header["kid"])).as_pem(private=False)
    signing_input = _b64({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]}) + "." + _b64(claims)
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    confused = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    _rejected(call(base, confused))
    # A key of its own, under a made-up kid and under the portal's kid.
    attacker = RSAKey.generate_key(2048, private=True)
    for kid in ("attacker-key", header["kid"]):
        forged = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": kid}, claims, attacker, algorithms=["RS256"])
        _rejected(call(base, forged))
    # An ID token is not an access token (typ JWT, audience the storefront).
    _rejected(call(base, world.person_tokens()["id_token"]))
    assert call(base, good).status_code == 200


def test_keys_are_refetched_for_a_new_kid_at_most_once_per_interval(world, live_server, tmp_path):
    with serve_backend(world.portal, world.audience, tmp_path, JWKS_MIN_REFETCH_SECONDS=60) as (base, trust):
        before_rotation = world.system_token(world.beta_client)
        assert call(base, before_rotation).status_code == 200 and trust.jwks_fetches == 1
        with live_server.app.app_context():
            s = db.new_session()
            keys.rotate(s, current_settings().secret_key, max_token_seconds=3600)
            s.commit()
            s.close()
        after_rotation = world.system_token(world.beta_client)
        assert _parts(after_rotation)[0]["kid"] != _parts(before_rotation)[0]["kid"]
        assert call(base, after_rotation).status_code == 200 and trust.jwks_fetches == 2
        assert call(base, before_rotation).status_code == 200  # the retired key stays published
        attacker = RSAKey.generate_key(2048, private=True)
        for n in range(5):
            forged = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": f"made-up-{n}"},
                                _parts(after_rotation)[1], attacker, algorithms=["RS256"])
            _rejected(call(base, forged))
        assert trust.jwks_fetches == 2  # made-up kids cannot make the back-end hammer the portal


def test_after_the_partnership_ends_new_tokens_lack_the_entitlement(world, live_server, tmp_path):
    with serve_backend(world.portal, world.audience, tmp_path) as (base, _):
        _partnership_ends(world, live_server, base)


def _partnership_ends(world, live_server, base: str) -> None:
    with live_server.app.app_context():
        s = db.new_session()
        _, delta_admin, delta = company_with_admin(s, f"Delta Integrate {secrets.token_hex(3)}")
        partnership = services.propose(s, delta_admin, world.acme.id, "integration")
        services.answer(s, s.merge(world.acme_admin), partnership.id, True)
        system = systems.system_by_id(s, world.system.id)
        grants.grant(s, s.merge(world.acme_admin), system, systems.entitlement_by_id(s, system, world.read.id),
                     company_id=delta.id)
        delta_client = World._system_client(s, delta_admin, f"https://shop-{secrets.token_hex(3)}.delta.example/api")
        s.commit()
        partnership_id = partnership.id
        s.close()
    before = world.system_token(delta_client)
    assert call(base, before).status_code == 200

    with live_server.app.app_context():
        s = db.new_session()
        services.end(s, s.merge(world.acme_admin), partnership_id)
        s.commit()
        s.close()
    after = world.system_token(delta_client)
    assert _parts(after)[1]["entitlements"] == []
    _rejected(call(base, after), 403, "insufficient_scope")
    # The back-end checks offline, so the older token verifies until it expires; a back-end that
    # must know sooner asks the portal, which reports it inactive (RFC 7662).
    introspection = requests.post(f"{world.portal}/oauth/introspect", auth=world.acme_client,
                                  data={"token": before}, timeout=10)
    assert introspection.json() == {"active": False}


def test_cached_keys_outlive_a_portal_outage_but_unknown_kids_then_get_503(world, tmp_path):
    with serve_backend(world.portal, world.audience, tmp_path) as (base, trust):
        token = world.system_token(world.beta_client)
        assert call(base, token).status_code == 200
        trust._jwks_uri = "http://127.0.0.1:9/oauth/jwks"  # the portal is unreachable from now on
        trust.max_age_seconds = trust.min_refetch_seconds = 0
        assert call(base, token).status_code == 200  # the keys it has still verify
        attacker = RSAKey.generate_key(2048, private=True)
        forged = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": "unknown"}, _parts(token)[1], attacker,
                            algorithms=["RS256"])
        response = call(base, forged)
        assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
