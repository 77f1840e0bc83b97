"""Bulk reads of who belongs where and who is connected to whom, for ecosystem-wide analytics.

One query each, whatever the size of the ecosystem (ecosystem health reads everything at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.profiles.models import MEMBERSHIP_ACTIVE, Connection, Person


@dataclass(frozen=True)
class MemberRow:
    person_id: int
    company_id: int | None  # only an active membership counts; a pending request is no membership yet
    user_id: int | None
    created_at: datetime


def member_rows(session: Session) -> list[MemberRow]:
    """Every person with their (active) company, account and the date they joined, by id."""
    rows = session.execute(select(Person.id, Person.company_id, Person.membership_status, Person.user_id,
                                  Person.created_at).order_by(Person.id))
    return [MemberRow(pid, company_id if status == MEMBERSHIP_ACTIVE else None, user_id, created_at)
            for pid, company_id, status, user_id, created_at in rows]


def connection_pairs(session: Session, *, until: datetime | None = None) -> list[tuple[int, int, datetime]]:
    """(lower person id, higher person id, created_at) of every connection made before `until`."""
    stmt = select(Connection.person_a_id, Connection.person_b_id, Connection.created_at)
    if until is not None:
        stmt = stmt.where(Connection.created_at < until)
    return [(a, b, at) for a, b, at in session.execute(stmt)]
