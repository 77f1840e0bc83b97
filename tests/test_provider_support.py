"""Helpers for the OpenID Provider tests (no tests of its own; the name keeps it with them)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

from flask import g, has_app_context
from joserfc import jwt
from joserfc.jwk import KeySet

from portal.auth.provider.clients import register_client
from tests.test_auth_support import fast_password_hashing  # noqa: F401 - autouse fixture
from tests.test_companies_support import make_company, make_user

REDIRECT = "https://rp.example.com/cb"
ISSUER = "http://127.0.0.1:5000"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def new_client(session, *, public: bool = False, redirect_uris=(REDIRECT,), scopes=None, grant_types=None,
               auth_method: str | None = None, **extra):
    client, secret = register_client(
        session, name="Partner CRM", owner_company_id=extra.pop("owner_company_id", None),
        redirect_uris=list(redirect_uris),
        grant_types=grant_types or ["authorization_code", "refresh_token"],
        token_endpoint_auth_method=auth_method or ("none" if public else "client_secret_basic"),
        scopes=scopes or ["openid", "profile", "email", "address", "phone", "org", "partnerships",
                          "entitlements", "ecosystem_roles", "offline_access"], **extra)
    session.commit()
    return client, secret


def member(session, email: str | None = None, name: str = "Nina Kowalski", company: bool = True):
    user, person = make_user(session, email, name=name, location="Lisbon, Portugal")
    if company:
        make_company(session, person, name="Acme Integration")
    session.commit()
    return user, person


def log_in(client, user, *, auth_time: int | None = None) -> None:
    """Log the test client in as `user`, as the login view would (auth_time recorded)."""
    with client.session_transaction() as browser_session:
        browser_session.clear()
        browser_session["_user_id"] = user.get_id()
        browser_session["_fresh"] = True
        browser_session["auth_time"] = int(time.time()) if auth_time is None else auth_time
        browser_session["amr"] = ["pwd"]
    if has_app_context():
        for key in ("_login_user", "current_person"):
            g.pop(key, None)


def grant_consent(session, user, client, scopes) -> None:
    from portal.auth.provider import consent

    consent.remember(session, user.id, client.client_id, list(scopes))
    session.commit()


def authorize_params(client, *, challenge: str | None = None, scope: str = "openid profile email",
                     state: str = "st-123", nonce: str | None = "n-456", **extra) -> dict:
    params = {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT,
              "scope": scope, "state": state}
    if nonce:
        params["nonce"] = nonce
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(http, client, **kw) -> tuple[str, dict]:
    """Run the authorization request (consent already given); returns (code, redirect query)."""
    response = http.get("/oauth/authorize", query_string=authorize_params(client, **kw))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    query = query_of(location)
    assert "code" in query, query
    return query["code"], query


def basic(client, secret) -> dict:
    raw = f"{client.client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def exchange(http, client, secret, code, verifier=None, redirect_uri=REDIRECT, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    headers = {}
    if secret is None:
        data["client_id"] = client.client_id
    else:
        headers = basic(client, secret)
    data.update(extra)
    return http.post("/oauth/token", data=data, headers=headers)


def verify_with_jwks(http, token: str, algorithms=("RS256",)) -> jwt.Token:
    """Verify a token against the published JWKS with pinned algorithms, as a relying party would."""
    key_set = KeySet.import_key_set(http.get("/oauth/jwks").get_json())
    return jwt.decode(token, key_set, algorithms=list(algorithms))
