"""Client secrets of identity providers, encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from SECRET_KEY by HKDF, so the database
alone does not reveal the secrets and no second key has to be managed. Changing SECRET_KEY makes
stored secrets unreadable: `decrypt_secret` then raises and the admin enters the secret again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portal.errors import DomainError

_INFO = b"partnermesh federation client secrets v1"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret_key: str, plain: str) -> str:
    return _fernet(secret_key).encrypt(plain.encode()).decode("ascii")


def decrypt_secret(secret_key: str, stored: str) -> str:
    if not stored:
        return ""
    try:
        return _fernet(secret_key).decrypt(stored.encode("ascii")).decode()
    except InvalidToken as exc:
        raise DomainError("The identity provider's client secret cannot be read (was SECRET_KEY changed?). "
                          "A company admin must enter it again.") from exc
