"""Signing secrets: made here, shown once, stored encrypted so that the sender can sign.

The secret has the Standard Webhooks form "whsec_" + base64 of 24 random bytes, which the spec's
verification libraries accept as is. It cannot be hashed like a password: the portal needs the
plain bytes to compute each signature. So it is stored as a Fernet token (AES-128-CBC +
HMAC-SHA256) under a key derived from SECRET_KEY by HKDF with its own `info` — as the company
sign-in client secrets are (portal/auth/federation/secrets.py) — and a database dump alone does
not reveal it. Changing SECRET_KEY makes stored secrets unreadable: such a delivery fails with
a message telling the company admin to roll the secret.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portal.errors import DomainError

PREFIX = "whsec_"
SECRET_BYTES = 24  # the spec asks for 24 to 64 bytes
_INFO = b"partnermesh webhook signing secrets v1"


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks format."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret_key: str, plain: str) -> str:
    return _fernet(secret_key).encrypt(plain.encode()).decode("ascii")


def decrypt_secret(secret_key: str, stored: str) -> str:
    try:
        return _fernet(secret_key).decrypt(stored.encode("ascii")).decode()
    except InvalidToken as exc:
        raise DomainError("The webhook's signing secret cannot be read (was SECRET_KEY changed?). "
                          "A company admin must roll the secret.") from exc
