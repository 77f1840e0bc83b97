"""Issue 5 item 8 and the key lifecycle: signing keys encrypted at rest and bound to their row,
a retired key unpublished once every token it signed has expired, and no secret in the logs
(client secrets, codes, access, refresh and ID tokens) even with every logger at DEBUG."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag

from portal.auth.provider import keys
from portal.db import utcnow
from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_provider_support import (
    basic,
    exchange,
    get_code,
    grant_consent,
    log_in,
    member,
    new_client,
    pkce_pair,
)

SECRET = "test-secret"


def test_signing_keys_are_encrypted_at_rest_and_bound_to_their_kid(session):
    row = keys.create_key(session, SECRET, "RS256")
    other = keys.create_key(session, SECRET, "ES256")
    pem = keys.private_key(row, SECRET).as_pem(private=True)
    assert b"PRIVATE KEY" not in row.private_key_encrypted and pem not in row.private_key_encrypted
    assert keys._decrypt(SECRET, row.kid, row.private_key_encrypted) == pem
    with pytest.raises(InvalidTag):
        keys._decrypt("another-secret-key", row.kid, row.private_key_encrypted)
    with pytest.raises(InvalidTag):  # a ciphertext copied to another row does not decrypt there
        keys._decrypt(SECRET, other.kid, row.private_key_encrypted)


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(session, runner):
    old = keys.create_key(session, SECRET, "RS256")
    keys.rotate(session, SECRET, max_token_seconds=3600)
    assert old.kid in {key["kid"] for key in keys.jwks(session)["keys"]}
    assert keys.key_status(old).startswith("retired, published until")
    old.unpublish_after = utcnow() - timedelta(seconds=1)
    session.flush()
    assert old.kid not in {key["kid"] for key in keys.jwks(session)["keys"]}
    assert keys.key_status(old) == "unpublished"
    assert old.kid not in {key.kid for key in keys.verification_keys(session).keys}


def test_no_secret_reaches_the_logs(client, session, caplog):
    caplog.set_level(logging.DEBUG)  # Authlib logs issued tokens at DEBUG: the app keeps it at INFO
    user, _ = member(session)
    rp, secret = new_client(session, grant_types=["authorization_code", "refresh_token", "client_credentials"],
                            scopes=["openid", "profile", "email", "offline_access", "org"])
    grant_consent(session, user, rp, ["openid", "profile", "email", "offline_access"])
    log_in(client, user)
    verifier, challenge = pkce_pair()
    code, _ = get_code(client, rp, scope="openid profile email offline_access", challenge=challenge)
    body = exchange(client, rp, secret, code, verifier).get_json()
    refreshed = client.post("/oauth/token", headers=basic(rp, secret), data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"]}).get_json()
    machine = client.post("/oauth/token", headers=basic(rp, secret),
                          data={"grant_type": "client_credentials"}).get_json()
    client.post("/oauth/introspect", headers=basic(rp, secret), data={"token": body["access_token"]})
    client.post("/oauth/revoke", headers=basic(rp, secret), data={"token": refreshed["refresh_token"]})
    assert exchange(client, rp, "wrong-secret", code, verifier).status_code == 401
    secrets_seen = [secret, code, verifier, body["access_token"], body["refresh_token"], body["id_token"],
                    refreshed["access_token"], refreshed["refresh_token"], refreshed["id_token"],
                    machine["access_token"], "wrong-secret"]
    logged = "\n".join(f"{record.name} {record.getMessage()}" for record in caplog.records)
    leaked = [value[:12] + "…" for value in secrets_seen if value in logged]
    assert leaked == [], logged[:3000]
