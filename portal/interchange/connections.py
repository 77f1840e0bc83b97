"""The `connection` record kind (a mutual connection between two people)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.interchange import fields as f
from portal.interchange.registry import CREATED, UNCHANGED, KindHandler
from portal.profiles.models import Connection, Person
from portal.profiles.services import connect, person_by_external_id

FIELDS = {
    "a": f.Field(f.line_string(128, required=True), required=True),
    "b": f.Field(f.line_string(128, required=True), required=True),
    "created_at": f.Field(f.date_time),
}


def check(data: dict[str, Any], ctx) -> Iterator[str]:
    a, b = data["a"], data["b"]
    if a == b:
        yield f"a person cannot be connected to themselves ('{a}')"
        return
    unknown = [ref for ref in (a, b) if not ctx.defines("person", ref)]
    for ref in unknown:
        yield f"unknown person '{ref}' (not defined on an earlier line nor in the portal)"
    if not unknown:
        earlier = ctx.claim("connection", tuple(sorted((a, b))))
        if earlier is not None:
            yield f"duplicate connection between '{a}' and '{b}' (first on line {earlier[1]})"


def apply(session: Session, record, state) -> str:
    a = state.get("person", record.data["a"], person_by_external_id)
    b = state.get("person", record.data["b"], person_by_external_id)
    # An existing connection keeps its date: it is the same fact, known since then.
    return CREATED if connect(session, a, b, created_at=record.data.get("created_at")) else UNCHANGED


def export(session: Session) -> Iterator[dict[str, Any]]:
    ids = dict(session.execute(select(Person.id, Person.external_id)).all())
    rows = []
    for connection in session.scalars(select(Connection)):
        a = ids.get(connection.person_a_id) or f"person-{connection.person_a_id}"
        b = ids.get(connection.person_b_id) or f"person-{connection.person_b_id}"
        a, b = sorted((a, b))
        rows.append((a, b, connection.created_at))
    rows.sort(key=lambda row: (row[0], row[1]))
    for a, b, created_at in rows:
        record: dict[str, Any] = {"kind": "connection", "a": a, "b": b}
        if created_at:
            record["created_at"] = f.format_datetime(created_at)
        yield record


HANDLER = KindHandler(kind="connection", fields=FIELDS, check=check, apply=apply, export=export, exists=None,
                      has_id=False, order=30, field_order=("a", "b", "created_at"))
