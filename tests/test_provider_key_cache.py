"""Signing keys cached per process: issuing and introspecting tokens read no key from the
database; a rotation here is seen at once, one made by another process within
OIDC_KEY_CHECK_SECONDS; retired keys stay published that much longer."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.auth.provider import keys
from portal.auth.provider.models import SigningKey
from portal.auth.provider.tokens import TokenSettings
from portal.db import db, utcnow
from tests.test_partnerships_support import company_with_admin
from tests.test_provider_support import basic, new_client

SECRET = "test-secret"


@pytest.fixture(autouse=True)
def empty_key_cache():
    keys._signers.clear()
    keys._verifiers.clear()
    yield
    keys._signers.clear()
    keys._verifiers.clear()


@pytest.fixture
def key_statements(app):
    """The SQL statements that touch the signing-key table while the test runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if "oauth_signing_keys" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_signing_key_comes_from_the_cache_until_the_check_is_due(session, key_statements, monkeypatch):
    first = keys.signing_key(session, SECRET, "RS256", check_seconds=60)
    key_statements.clear()
    assert keys.signing_key(session, SECRET, "RS256", check_seconds=60) == first
    assert key_statements == []  # no query at all
    # Another process rotates: this one keeps its cached key until the next check is due.
    for row in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = utcnow()
    newer = keys.create_key(session, SECRET, "RS256")
    assert keys.signing_key(session, SECRET, "RS256", check_seconds=60).kid == first.kid
    clock = keys.time.monotonic() + 61
    monkeypatch.setattr(keys.time, "monotonic", lambda: clock)
    assert keys.signing_key(session, SECRET, "RS256", check_seconds=60).kid == newer.kid


def test_a_rotation_in_this_process_is_used_at_once(session):
    first = keys.signing_key(session, SECRET, "ES256", check_seconds=60)
    keys.verification_keys(session, check_seconds=60)
    new = {row.alg: row.kid for row in keys.rotate(session, SECRET, max_token_seconds=3605)}
    assert keys.signing_key(session, SECRET, "ES256", check_seconds=60).kid == new["ES256"] != first.kid
    published = {key.kid for key in keys.verification_keys(session, check_seconds=60).keys}
    assert {first.kid, new["RS256"], new["ES256"]} <= published  # the retired key still verifies


def test_retired_keys_stay_published_while_other_processes_may_sign_with_them():
    settings = TokenSettings(issuer="https://portal.example", secret_key=SECRET, access_token_seconds=3600,
                             id_token_seconds=600, key_check_seconds=5)
    assert settings.max_signed_token_seconds == 3605


def test_issuing_and_introspecting_tokens_reads_no_key(app, client, session, key_statements, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_KEY_CHECK_SECONDS", 60)
    _, _, company = company_with_admin(session, "Acme")
    rp, secret = new_client(session, grant_types=["client_credentials"], scopes=["org"],
                            owner_company_id=company.id, redirect_uris=())

    def token() -> str:
        response = client.post("/oauth/token", headers=basic(rp, secret), data={"grant_type": "client_credentials"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def introspect(value: str) -> dict:
        return client.post("/oauth/introspect", headers=basic(rp, secret), data={"token": value}).get_json()

    assert introspect(token())["active"] is True  # warm: keys made, cached
    key_statements.clear()
    for _ in range(3):
        assert introspect(token())["active"] is True
    assert key_statements == []
