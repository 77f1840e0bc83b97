"""Small text helpers shared by features: slugs and cleaning of user-typed strings."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_line(value: str | None) -> str:
    """One line of user text: NFC, no control or bidi-override characters, single spaces."""
    value = unicodedata.normalize("NFC", value or "")
    value = _CONTROL.sub("", value)
    return " ".join(value.split())


def clean_text(value: str | None) -> str:
    """Multi-line user text: like clean_line but keeps line breaks."""
    value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def slugify(value: str, max_length: int = 80) -> str:
    """ASCII slug for URLs; falls back to 'x' for names with no Latin letters."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_value.lower()).strip("-")
    return slug[:max_length].strip("-") or "x"
