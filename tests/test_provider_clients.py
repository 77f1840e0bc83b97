"""Client registration: secrets stored hashed and shown once, redirect addresses checked."""

from __future__ import annotations

import pytest

from portal.auth.provider.clients import client_by_client_id, register_client, secret_matches
from portal.errors import DomainError


def _register(session, **overrides):
    fields = dict(name="Partner CRM", owner_company_id=None, redirect_uris=["https://crm.example.com/cb"],
                  grant_types=["authorization_code", "refresh_token"],
                  token_endpoint_auth_method="client_secret_basic", scopes=["openid", "profile", "email"])
    fields.update(overrides)
    return register_client(session, **fields)


def test_secret_is_returned_once_and_stored_only_as_a_digest(session):
    client, secret = _register(session)
    assert secret and len(secret) >= 40
    assert secret not in (client.client_secret_hash or "")
    assert client_by_client_id(session, client.client_id) is client
    assert secret_matches(client, secret)
    assert not secret_matches(client, secret + "x")
    assert not secret_matches(client, None)


def test_public_client_has_no_secret(session):
    client, secret = _register(session, token_endpoint_auth_method="none")
    assert secret is None and client.is_public and not secret_matches(client, "")


@pytest.mark.parametrize("uri", [
    "http://crm.example.com/cb",            # plain http off loopback
    "https://good.example.com@evil.example/cb",  # userinfo
    "https://crm.example.com/cb#frag",
    "javascript:alert(1)",
    "/relative/cb",
    "https://crm.example.com/c b",
])
def test_bad_redirect_uris_are_refused(session, uri):
    with pytest.raises(DomainError):
        _register(session, redirect_uris=[uri])


def test_loopback_http_is_allowed_for_development(session):
    client, _ = _register(session, redirect_uris=["http://127.0.0.1:8765/cb", "http://localhost/cb"])
    assert client.redirect_uris == ["http://127.0.0.1:8765/cb", "http://localhost/cb"]


def test_public_client_cannot_use_client_credentials(session):
    with pytest.raises(DomainError):
        _register(session, token_endpoint_auth_method="none", grant_types=["client_credentials"])


def test_unknown_client_id_is_none(session):
    assert client_by_client_id(session, "nope") is None
    assert client_by_client_id(session, "") is None
