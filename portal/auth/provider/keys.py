"""Signing keys: created on first use, encrypted at rest, published as a JWKS, rotated.

Where the private keys live: in the database, encrypted with AES-256-GCM under a key derived
from SECRET_KEY with HKDF (not in a file under the instance folder). Every process and host of
the portal shares the database and SECRET_KEY already, so they all sign with the same key and
publish the same JWKS after a rotation; a file would have to be copied to each host. A database
dump alone does not reveal the keys. Changing SECRET_KEY makes the stored keys unreadable:
run `portal keys rotate` afterwards (the old keys' public halves stay published).

Lifecycle (SigningKey): the newest un-retired key of an algorithm signs; `rotate` retires the
current ones (they stop signing) and keeps them in the JWKS until `unpublish_after`, which is
the retirement time plus the longest lifetime of a token they may have signed.

Per process, the signing key of each algorithm and the parsed verification key set are cached
per database (`signing_key`, `verification_keys`), so issuing or introspecting a token reads no
key from the database. The cache is re-checked against the database every `check_seconds`
(OIDC_KEY_CHECK_SECONDS): the active key's kid is the version, so a rotation made by another
process or host is picked up within that time; `rotate` clears this process's cache at once,
and keeps the retired keys published `check_seconds` longer, since other processes may sign with
them that much longer.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.auth.provider.models import SigningKey
from portal.db import utcnow

ALGORITHMS = ("RS256", "ES256")  # every algorithm the provider signs with and accepts: never "none"
_HKDF_INFO = b"partnermesh oauth signing keys v1"
_NONCE_BYTES = 12
# Decrypted private keys by kid: decrypting and parsing a PEM on every token would cost more
# than signing it. Keys never change under a kid, so the cache needs no invalidation.
_private_keys: dict[str, RSAKey | ECKey] = {}


def _cipher(secret_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key.encode())
    return AESGCM(key)


def _encrypt(secret_key: str, kid: str, pem: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    # The kid is bound as associated data: a ciphertext moved to another row does not decrypt.
    return nonce + _cipher(secret_key).encrypt(nonce, pem, kid.encode())


def _decrypt(secret_key: str, kid: str, blob: bytes) -> bytes:
    return _cipher(secret_key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], kid.encode())


def _generate(alg: str) -> RSAKey | ECKey:
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    raise ValueError(f"unsupported signing algorithm {alg!r}")


def create_key(session: Session, secret_key: str, alg: str) -> SigningKey:
    """Generate a new signing key for `alg` and store it (encrypted)."""
    key = _generate(alg)
    kid = key.thumbprint()  # RFC 7638: stable, derived from the public key
    public = key.as_dict(private=False)
    public.update({"kid": kid, "alg": alg, "use": "sig"})
    row = SigningKey(kid=kid, alg=alg, public_jwk=public,
                     private_key_encrypted=_encrypt(secret_key, kid, key.as_pem(private=True)))
    session.add(row)
    session.flush()
    _private_keys[kid] = key
    return row


def active_key(session: Session, secret_key: str, alg: str = "RS256") -> SigningKey:
    """The key that signs new tokens with `alg`; made on first use when there is none."""
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    row = session.scalar(select(SigningKey).where(SigningKey.alg == alg, SigningKey.retired_at.is_(None))
                         .order_by(SigningKey.created_at.desc(), SigningKey.id.desc()).limit(1))
    return row if row is not None else create_key(session, secret_key, alg)


def private_key(row: SigningKey, secret_key: str) -> RSAKey | ECKey:
    """The decrypted private key of a stored key (cached per process)."""
    key = _private_keys.get(row.kid)
    if key is None:
        pem = _decrypt(secret_key, row.kid, row.private_key_encrypted)
        loader = RSAKey if row.alg == "RS256" else ECKey
        key = loader.import_key(pem)
        _private_keys[row.kid] = key
    return key


@dataclass(frozen=True)
class ActiveKey:
    """What signing needs, detached from any session: the kid for the header and the key."""

    kid: str
    alg: str
    private: RSAKey | ECKey


# (database, alg) → (monotonic time of the last check, key); (database,) → (time, KeySet).
_signers: dict[tuple[str, str], tuple[float, ActiveKey]] = {}
_verifiers: dict[str, tuple[float, KeySet]] = {}


def _database_of(session: Session) -> str:
    """Which database the session talks to: several apps in one process (tests, two federating
    portals) must never share keys."""
    bind = session.get_bind()
    return str(getattr(bind, "engine", bind).url)


def signing_key(session: Session, secret_key: str, alg: str = "RS256", *, check_seconds: float = 0.0) -> ActiveKey:
    """The key that signs new tokens with `alg`, from this process's cache when it was checked
    against the database less than `check_seconds` ago (0: always check)."""
    slot = (_database_of(session), alg)
    cached = _signers.get(slot)
    if cached is not None and time.monotonic() - cached[0] < check_seconds:
        return cached[1]
    row = active_key(session, secret_key, alg)
    key = ActiveKey(kid=row.kid, alg=row.alg, private=private_key(row, secret_key))
    _signers[slot] = (time.monotonic(), key)
    return key


def forget_cached_keys(session: Session) -> None:
    """Drop this process's cached keys of the session's database (after a rotation)."""
    database = _database_of(session)
    for slot in [slot for slot in _signers if slot[0] == database]:
        del _signers[slot]
    _verifiers.pop(database, None)


def published_keys(session: Session) -> list[SigningKey]:
    """Keys a token may still be verified with: active ones and retired ones not yet unpublished."""
    now = utcnow()
    return list(session.scalars(select(SigningKey).where(
        or_(SigningKey.unpublish_after.is_(None), SigningKey.unpublish_after > now))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())))


def ensure_keys(session: Session, secret_key: str) -> None:
    """Make sure every algorithm has a signing key (so the JWKS lists both before first use)."""
    for alg in ALGORITHMS:
        active_key(session, secret_key, alg)


def jwks(session: Session) -> dict:
    """The public JSON Web Key Set (RFC 7517) of every published key."""
    return {"keys": [dict(row.public_jwk) for row in published_keys(session)]}


_key_sets: dict[tuple[str, ...], KeySet] = {}


def verification_keys(session: Session, *, check_seconds: float = 0.0) -> KeySet:
    """The published public keys as a joserfc KeySet, for verifying our own tokens: from this
    process's cache when it was checked less than `check_seconds` ago. Parsed key sets are also
    kept by their kids (a kid never changes its key), so a check costs only the query."""
    database = _database_of(session)
    cached = _verifiers.get(database)
    if cached is not None and time.monotonic() - cached[0] < check_seconds:
        return cached[1]
    published = jwks(session)
    kids = tuple(key["kid"] for key in published["keys"])
    key_set = _key_sets.get(kids)
    if key_set is None:
        if len(_key_sets) > 16:
            _key_sets.clear()
        key_set = _key_sets[kids] = KeySet.import_key_set(published)
    _verifiers[database] = (time.monotonic(), key_set)
    return key_set


def rotate(session: Session, secret_key: str, *, max_token_seconds: int) -> list[SigningKey]:
    """Make a new active key per algorithm; the previous ones stop signing now and stay
    published for `max_token_seconds` (the longest lifetime of a token they signed, plus the
    time other processes may go on signing with them: see the module docstring)."""
    now = utcnow()
    for row in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = now
        row.unpublish_after = now + timedelta(seconds=max_token_seconds)
    session.flush()
    forget_cached_keys(session)
    return [create_key(session, secret_key, alg) for alg in ALGORITHMS]


def all_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.id.desc())))


def key_status(row: SigningKey) -> str:
    """"active", "retired (published until …)" or "unpublished", for `portal keys list`."""
    if row.retired_at is None:
        return "active"
    if row.unpublish_after is not None and row.unpublish_after > utcnow():
        return f"retired, published until {row.unpublish_after:%Y-%m-%d %H:%M} UTC"
    return "unpublished"
