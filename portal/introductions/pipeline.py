"""Counts for the broker's pipeline (suggested → proposed → accepted → met → partnership) and
introduction outcomes for ecosystem health. Read-only."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.introductions.models import ACCEPTED, EXPIRED, PENDING, Introduction, IntroductionSuggestion

STAGES = ("suggested", "proposed", "accepted", "met", "partnership")


def _window(stmt, column, since: datetime | None, until: datetime | None):
    if since is not None:
        stmt = stmt.where(column >= since)
    if until is not None:
        stmt = stmt.where(column < until)
    return stmt


def pipeline_counts(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                    person_ids: Collection[int] | None = None, brokered: bool | None = None) -> dict[str, int]:
    """How many pairs reached each stage, as a cohort: suggestions recorded, and introductions
    created, in [since, until). An introduction counts as proposed, and then as accepted / met /
    partnership when it got that far. `person_ids` keeps pairs with at least one of these people
    (a segment); `brokered` True/False keeps only brokered / only direct introductions.
    """
    members = set(person_ids) if person_ids is not None else None

    def keep(a_id: int, b_id: int) -> bool:
        return members is None or a_id in members or b_id in members

    counts = dict.fromkeys(STAGES, 0)
    if brokered is not False:
        suggestions = session.execute(_window(select(IntroductionSuggestion.a_id, IntroductionSuggestion.b_id),
                                              IntroductionSuggestion.created_at, since, until))
        counts["suggested"] = sum(1 for a_id, b_id in suggestions if keep(a_id, b_id))
    stmt = _window(select(Introduction.a_id, Introduction.b_id, Introduction.status, Introduction.met_at,
                          Introduction.partnership_at), Introduction.created_at, since, until)
    if brokered is not None:
        stmt = stmt.where(Introduction.broker_id.is_not(None) if brokered else Introduction.broker_id.is_(None))
    for a_id, b_id, status, met_at, partnership_at in session.execute(stmt):
        if not keep(a_id, b_id):
            continue
        counts["proposed"] += 1
        counts["accepted"] += status == ACCEPTED
        counts["met"] += met_at is not None or partnership_at is not None
        counts["partnership"] += partnership_at is not None
    return counts


@dataclass(frozen=True)
class IntroductionOutcome:
    id: int
    created_at: datetime
    decided_at: datetime | None  # None while pending
    status: str
    requester_id: int | None
    a_id: int
    b_id: int
    brokered: bool


def introduction_outcomes(session: Session, *, since: datetime | None = None,
                          until: datetime | None = None) -> list[IntroductionOutcome]:
    """Every introduction created in [since, until), oldest first. A pending one past its expiry
    date is reported as expired even before the expiry job has marked it."""
    now = utcnow()
    overdue = and_(Introduction.status == PENDING, Introduction.expires_at <= now)
    # Plain rows, not ORM objects, and expiry decided in SQL: health reads a year at once.
    stmt = _window(select(Introduction.id, Introduction.created_at,
                          case((overdue, Introduction.expires_at), else_=Introduction.decided_at),
                          case((overdue, EXPIRED), else_=Introduction.status),
                          Introduction.requester_id, Introduction.a_id, Introduction.b_id,
                          Introduction.broker_id.is_not(None)), Introduction.created_at, since, until)
    return [IntroductionOutcome(*row) for row in session.execute(stmt.order_by(Introduction.created_at,
                                                                               Introduction.id))]
