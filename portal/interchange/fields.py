"""Type checks shared by every record kind: each returns the cleaned value or raises FieldError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portal.errors import DomainError
from portal.tags.services import MAX_TAG_LENGTH, MAX_TAGS_PER_KIND, parse_tag_list
from portal.text import clean_line, clean_text


class FieldError(Exception):
    """One field of a record is wrong; the message is the reason shown to the importer."""


def _describe(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", int: "a number", float: "a number",
            type(None): "null", str: "a string"}.get(type(value), type(value).__name__)


def line_string(max_length: int, *, required: bool = False) -> Callable[[str, Any], str]:
    """A one-line string (spaces squeezed, control characters dropped)."""

    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError(f"field '{name}' must be a string, not {_describe(value)}")
        cleaned = clean_line(value)
        if required and not cleaned:
            raise FieldError(f"field '{name}' must be a non-empty string")
        if len(cleaned) > max_length:
            raise FieldError(f"field '{name}' is too long ({len(cleaned)} characters, at most {max_length})")
        return cleaned

    return check


def text(max_length: int) -> Callable[[str, Any], str]:
    """Multi-line text (Markdown or HTML before conversion)."""

    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError(f"field '{name}' must be a string, not {_describe(value)}")
        cleaned = clean_text(value)
        if len(cleaned) > max_length:
            raise FieldError(f"field '{name}' is too long ({len(cleaned)} characters, at most {max_length})")
        return cleaned

    return check


def tag_list(name: str, value: Any) -> list[str]:
    """A list of tag names, deduplicated in order (the same rules as the profile forms)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FieldError(f"field '{name}' must be a list of strings")
    too_long = [item for item in value if len(item.strip()) > MAX_TAG_LENGTH]
    if too_long:
        raise FieldError(f"field '{name}': tag '{too_long[0][:20]}…' is too long (at most {MAX_TAG_LENGTH} characters)")
    try:
        names = parse_tag_list(value)
    except DomainError as error:
        raise FieldError(f"field '{name}': {error.message}") from None
    if len(names) > MAX_TAGS_PER_KIND:
        raise FieldError(f"field '{name}' has {len(names)} tags (at most {MAX_TAGS_PER_KIND})")
    return names


def string_list(max_items: int, max_length: int) -> Callable[[str, Any], list[str]]:
    def check(name: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise FieldError(f"field '{name}' must be a list of strings")
        if len(value) > max_items:
            raise FieldError(f"field '{name}' has {len(value)} items (at most {max_items})")
        for item in value:
            if len(item) > max_length:
                raise FieldError(f"field '{name}': '{item[:20]}…' is too long (at most {max_length} characters)")
        return [item.strip() for item in value if item.strip()]

    return check


def date_time(name: str, value: Any) -> datetime:
    """ISO 8601 (`2015-01-27T20:09:32Z`); a time without zone is taken as UTC."""
    if not isinstance(value, str):
        raise FieldError(f"field '{name}' must be an ISO 8601 date-time string, not {_describe(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FieldError(f"field '{name}' is not an ISO 8601 date-time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def choice(options: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise FieldError(f"field '{name}' must be one of: {', '.join(options)}")
        return value

    return check


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"field '{name}' must be true or false, not {_describe(value)}")
    return value


@dataclass(frozen=True)
class Field:
    """A field of a record kind: how to check it and whether it must be there."""

    check: Callable[[str, Any], Any]
    required: bool = False


def format_datetime(value: datetime) -> str:
    """The export form: UTC with a Z, microseconds only when there are some (round trips exactly)."""
    value = value.astimezone(UTC) if value.tzinfo else value
    spec = "%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return value.strftime(spec)
