"""Opaque pagination cursors: base64url of a small JSON object.

Clients pass back the `next_cursor` they were given and never look inside. A cursor is not a
secret and needs no signature: it only says where a page starts, and every page is filtered by
the caller's access again, so a forged cursor shows nothing more than another page would.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta

from portal.api.problems import ApiProblem

INT_MAX = 2_147_483_647
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Times in cursors are whole microseconds since 1970 (exact, unlike a float), within the years
# Python can represent.
_MICROS_MIN = (datetime(1, 1, 2, tzinfo=UTC) - _EPOCH) // _MICROSECOND
_MICROS_MAX = (datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH) // _MICROSECOND


class BadCursor(ApiProblem):
    def __init__(self) -> None:
        super().__init__(400, "The cursor is not one this API gave out; start again without it.",
                         errors=[{"field": "cursor", "message": "not a valid cursor"}])


def whole(value) -> bool:
    """A JSON integer (not a bool, which Python counts as one) within the database's range."""
    return type(value) is int and 0 <= value <= INT_MAX


def micros(when: datetime) -> int:
    """A stored time as a cursor holds it."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // _MICROSECOND


def time_at(value) -> datetime:
    """The time a cursor's microseconds stand for; BadCursor for anything else."""
    if type(value) is not int or not _MICROS_MIN <= value <= _MICROS_MAX:
        raise BadCursor()
    return _EPOCH + value * _MICROSECOND


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
