"""Opaque pagination cursors: base64url of a small JSON object.

Clients pass back the `next_cursor` they were given and never look inside. A cursor is not a
secret and needs no signature: it only says where a page starts, and every page is filtered by
the caller's access again, so a forged cursor shows nothing more than another page would.
"""

from __future__ import annotations

import base64
import binascii
import json

from portal.api.problems import ApiProblem

INT_MAX = 2_147_483_647


class BadCursor(ApiProblem):
    def __init__(self) -> None:
        super().__init__(400, "The cursor is not one this API gave out; start again without it.",
                         errors=[{"field": "cursor", "message": "not a valid cursor"}])


def whole(value) -> bool:
    """A JSON integer (not a bool, which Python counts as one) within the database's range."""
    return type(value) is int and 0 <= value <= INT_MAX


def encode(position: dict) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str, keys: tuple[str, ...]) -> dict:
    """The position in a cursor, which must hold exactly `keys`; BadCursor otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursor() from None
    if not isinstance(position, dict) or set(position) != set(keys):
        raise BadCursor()
    return position
