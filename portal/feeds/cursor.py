"""Opaque keyset-pagination tokens: a feed position is (created_at, activity id).

The token is URL-safe base64 of "<microseconds since epoch>.<id>" so it never shows a timestamp
format callers could come to depend on; anything that does not decode is a DomainError (a 400).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.errors import DomainError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TOKEN = 64


@dataclass(frozen=True)
class FeedCursor:
    created_at: datetime
    activity_id: int


def encode_cursor(created_at: datetime, activity_id: int) -> str:
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    micros = (created_at - EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}.{activity_id}".encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> FeedCursor | None:
    """None for no token (the first page); DomainError for a token this feed never gave out."""
    if token is None or token == "":
        return None
    bad = DomainError("This feed position is not valid; start again from the newest items.", field="cursor")
    if len(token) > MAX_TOKEN:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        micros_text, id_text = raw.split(".")
        micros, activity_id = int(micros_text), int(id_text)
        if not (micros_text.lstrip("-").isdigit() and id_text.isdigit()) or activity_id < 1:
            raise ValueError(raw)
        created_at = EPOCH + timedelta(microseconds=micros)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
        raise bad from None
    return FeedCursor(created_at, activity_id)
