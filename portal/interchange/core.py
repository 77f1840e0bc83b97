"""Reading, validating, applying and writing interchange files (JSON Lines)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from portal.interchange.fields import FieldError
from portal.interchange.registry import FUTURE_KINDS, handler_for, handlers

MAX_ID_LENGTH = 128


class InterchangeFileError(Exception):
    """The file as a whole cannot be read (missing, unreadable, not UTF-8)."""


@dataclass(frozen=True)
class Problem:
    """An error or warning about one line of the file; str() is `FILE:LINE: reason`."""

    file: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {prefix}{self.message}"


@dataclass
class Record:
    """A validated record: its kind, external id, line and cleaned fields."""

    kind: str
    id: str | None
    line: int
    data: dict[str, Any]


@dataclass
class ValidationContext:
    """What the records seen so far define, for reference and uniqueness checks."""

    session: Session | None
    defined: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    seen: dict[str, dict[Any, tuple[str, int]]] = field(default_factory=lambda: defaultdict(dict))
    line: int = 0
    record_id: str | None = None
    _db_cache: dict[tuple[str, str], bool] = field(default_factory=dict)

    def defines(self, kind: str, external_id: str) -> bool:
        """Whether a record of `kind` with this id is on an earlier line or in the database."""
        if external_id in self.defined[kind]:
            return True
        if self.session is None:
            return False
        key = (kind, external_id)
        if key not in self._db_cache:
            handler = handler_for(kind)
            self._db_cache[key] = bool(handler and handler.exists and handler.exists(self.session, external_id))
        return self._db_cache[key]

    def claim(self, namespace: str, value: Any) -> tuple[str, int] | None:
        """Register a value that must be unique in the file (emails, domains); returns the earlier
        (id, line) that claimed it, or None."""
        earlier = self.seen[namespace].get(value)
        if earlier is None:
            self.seen[namespace][value] = (self.record_id or "", self.line)
        return earlier


def _describe(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _validate_one(obj: Any, ctx: ValidationContext) -> tuple[Record | None, list[str], list[str]]:
    """Check one parsed line; returns (record or None, error reasons, warning reasons)."""
    if not isinstance(obj, dict):
        return None, [f"a record must be a JSON object, not {_describe(obj)}"], []
    kind = obj.get("kind")
    if kind is None:
        return None, ["missing required field 'kind'"], []
    if not isinstance(kind, str):
        return None, ["field 'kind' must be a string"], []
    handler = handler_for(kind)
    if handler is None:
        if kind in FUTURE_KINDS:
            return None, [f"record kind '{kind}' is not supported by this version yet"], []
        known = ", ".join(h.kind for h in handlers())
        return None, [f"unknown record kind '{kind[:40]}' (known kinds: {known})"], []
    errors: list[str] = []
    warnings = [f"unknown field '{name[:40]}' ignored" for name in obj
                if name != "kind" and name not in handler.fields and (name != "id" or not handler.has_id)]
    record_id = None
    if handler.has_id:
        record_id = obj.get("id")
        if record_id is None:
            errors.append("missing required field 'id'")
        elif not isinstance(record_id, str) or not record_id.strip():
            errors.append("field 'id' must be a non-empty string")
            record_id = None
        elif len(record_id) > MAX_ID_LENGTH:
            errors.append(f"field 'id' is too long ({len(record_id)} characters, at most {MAX_ID_LENGTH})")
            record_id = None
        elif record_id in ctx.defined[kind]:
            errors.append(f"duplicate {kind} id '{record_id}' (first defined on line {ctx.defined[kind][record_id]})")
            record_id = None
        else:
            ctx.defined[kind][record_id] = ctx.line
    ctx.record_id = record_id
    data: dict[str, Any] = {}
    for name, spec in handler.fields.items():
        if name not in obj or obj[name] is None:
            if spec.required:
                errors.append(f"missing required field '{name}'")
            continue
        try:
            data[name] = spec.check(name, obj[name])
        except FieldError as error:
            errors.append(str(error))
    if not errors:
        errors.extend(handler.check(data, ctx))
    if errors:
        return None, errors, warnings
    return Record(kind=kind, id=record_id, line=ctx.line, data=data), [], warnings


def validate_objects(items: Iterable[tuple[int, Any]], *, session: Session | None = None,
                     name: str = "<input>") -> tuple[list[Record], list[Problem], list[Problem]]:
    """Validate parsed records given as (line number, JSON value) pairs."""
    ctx = ValidationContext(session=session)
    records: list[Record] = []
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for line, obj in items:
        ctx.line = line
        record, reasons, notes = _validate_one(obj, ctx)
        errors.extend(Problem(name, line, reason) for reason in reasons)
        warnings.extend(Problem(name, line, note, warning=True) for note in notes)
        if record is not None:
            records.append(record)
    return records, errors, warnings


def read_lines(source: str | Path | Iterable[str]) -> tuple[str, list[str]]:
    """(name for messages, lines) of a path, '-' (stdin) or an iterable of lines. A BOM is dropped."""
    if isinstance(source, (str, Path)):
        name = str(source)
        try:
            if name == "-":
                import sys

                raw = sys.stdin.buffer.read()
                name = "<stdin>"
            else:
                raw = Path(source).read_bytes()
        except FileNotFoundError:
            raise InterchangeFileError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise InterchangeFileError(f"{name}: is a directory, not a file") from None
        except OSError as error:
            raise InterchangeFileError(f"{name}: cannot be read ({error.strerror or error})") from None
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[:error.start].count(b"\n") + 1
            raise InterchangeFileError(f"{name}:{line}: the file is not UTF-8 text "
                                       f"(byte 0x{raw[error.start]:02x} cannot be decoded)") from None
        # Only "\n" ends a record: JSON strings may hold U+2028 and friends, which splitlines() would cut.
        return name, content.split("\n")
    lines = [line.rstrip("\n") for line in source]
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return "<input>", lines


def _parse(lines: list[str]) -> Iterator[tuple[int, Any] | tuple[int, None, str]]:
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            yield number, json.loads(stripped), None
        except json.JSONDecodeError as error:
            yield number, None, f"invalid JSON: {error.msg} (column {error.colno})"
        except RecursionError:
            yield number, None, "invalid JSON: nested too deeply"


def validate_file(source: str | Path | Iterable[str], *, session: Session | None = None,
                  name: str | None = None) -> tuple[list[Record], list[Problem], list[Problem]]:
    """Read and validate a whole file: (records, errors, warnings). Nothing is written.

    References to records not in the file are looked up in `session`'s database when given.
    Raises InterchangeFileError when the file itself cannot be read.
    """
    file_name, lines = read_lines(source)
    file_name = name or file_name
    parse_errors: list[Problem] = []
    parsed: list[tuple[int, Any]] = []
    for number, value, error in _parse(lines):
        if error:
            parse_errors.append(Problem(file_name, number, error))
        else:
            parsed.append((number, value))
    records, errors, warnings = validate_objects(parsed, session=session, name=file_name)
    errors = sorted(parse_errors + errors, key=lambda p: p.line)
    return records, errors, warnings


# --- Applying ---------------------------------------------------------------------------------

@dataclass
class ApplyState:
    """Lookups shared by the records of one import (external id → row), filled as records apply."""

    session: Session
    objects: dict[tuple[str, str], Any] = field(default_factory=dict)

    def get(self, kind: str, external_id: str, finder) -> Any:
        key = (kind, external_id)
        if key not in self.objects:
            self.objects[key] = finder(self.session, external_id)
        return self.objects[key]

    def remember(self, kind: str, external_id: str, obj: Any) -> None:
        self.objects[(kind, external_id)] = obj


def import_records(session: Session, records: Iterable[Record]) -> dict[str, Counter]:
    """Apply validated records in order; flushes, never commits. Returns counts per kind
    ({"company": Counter(created=.., updated=.., unchanged=..)}). Raises on any failure:
    the caller rolls back so that nothing is stored."""
    state = ApplyState(session)
    counts: dict[str, Counter] = {}
    for record in records:
        handler = handler_for(record.kind)
        if handler is None:
            raise ValueError(f"line {record.line}: no handler for kind {record.kind!r}")
        outcome = handler.apply(session, record, state)
        counts.setdefault(record.kind, Counter())[outcome] += 1
    return counts


# --- Exporting --------------------------------------------------------------------------------

def export_records(session: Session) -> Iterator[dict[str, Any]]:
    """Everything that can be imported, referenced records first, deterministically sorted."""
    for handler in handlers():
        yield from handler.export(session)


def dump_record(record: dict[str, Any]) -> str:
    """One JSON Lines line (no newline): compact, UTF-8 as is, keys in the order given."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_export(session: Session, out: IO[str]) -> Counter:
    """Write the export to a text stream; returns how many records of each kind."""
    counts: Counter = Counter()
    for record in export_records(session):
        out.write(dump_record(record) + "\n")
        counts[record["kind"]] += 1
    return counts
