"""Introductions: who may be introduced to whom, requests, double opt-in answers, expiry.

Services flush, never commit; they raise DomainError with a message meant for the member.
Other features read introductions only through the functions here (the matching engine calls
`excluded_person_ids` / `excluded_pairs`, the broker console `propose_introduction` and
`pipeline_counts`, ecosystem health `introduction_outcomes`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.introductions.models import ACCEPTED, DECLINED, PENDING, Introduction


def _blocking(now: datetime):
    """Introductions that keep a pair apart: accepted, declined, or pending and not yet past expiry
    (a pending one past its date counts as expired even before the expiry job has run)."""
    return or_(Introduction.status.in_((ACCEPTED, DECLINED)),
               and_(Introduction.status == PENDING, Introduction.expires_at > now))


def excluded_person_ids(session: Session, person_id: int) -> set[int]:
    """People with whom `person_id` has a pending, accepted or declined introduction (either side),
    so that recommendations skip them."""
    rows = session.execute(select(Introduction.a_id, Introduction.b_id).where(
        or_(Introduction.a_id == person_id, Introduction.b_id == person_id), _blocking(utcnow())))
    return {b if a == person_id else a for a, b in rows}


def excluded_pairs(session: Session) -> set[tuple[int, int]]:
    """Every pair (low id, high id) with a pending, accepted or declined introduction."""
    rows = session.execute(select(Introduction.a_id, Introduction.b_id).where(_blocking(utcnow())))
    return {(a, b) if a < b else (b, a) for a, b in rows}
