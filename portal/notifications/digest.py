"""The daily digest: each person's waiting digest notifications in one mail.

Run by `portal notifications digest` (cron). The command commits once per person: the claim of
that person's items and their digest mail (a row in the durable outbox) go into the database
together or not at all. The claim is a conditional update (`mailed_at IS NULL`), so a second run,
a run at the same time or a run after a crash midway never mails an item twice and loses none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.auth.member_accounts import account_states
from portal.db import utcnow
from portal.notifications import mails
from portal.notifications.models import DIGEST, Notification
from portal.notifications.services import preferences
from portal.notifications.settings import settings_for

MAX_ITEMS = 100  # a digest lists at most this many (the newest); the page has them all


@dataclass(frozen=True)
class DigestResult:
    person_id: int
    mailed: int       # items listed in the mail (0: no mail)
    skipped: int      # claimed but not listed: read already, kind switched away from digest, no mail address


def people_waiting(session: Session) -> list[int]:
    """Who has digest items not yet claimed by a digest run."""
    return list(session.scalars(select(Notification.person_id).where(
        Notification.delivery == DIGEST, Notification.mailed_at.is_(None)).distinct().order_by(Notification.person_id)))


def waiting_items(session: Session, person_id: int) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.person_id == person_id, Notification.delivery == DIGEST, Notification.mailed_at.is_(None))
        .order_by(Notification.id)))


def _claim(session: Session, ids: list[int], now: datetime) -> bool:
    """Compare-and-set: True only when this run marked every one of them (no other run got one)."""
    claimed = session.execute(update(Notification).where(Notification.id.in_(ids), Notification.mailed_at.is_(None))
                              .values(mailed_at=now).execution_options(synchronize_session=False)).rowcount
    return claimed == len(ids)


def digest_for(session: Session, person_id: int, *, now: datetime | None = None) -> DigestResult | None:
    """Claim one person's waiting items and queue their digest mail. Flushes; the caller commits.
    None when another run claimed some of them first (that run mails them; roll back)."""
    now = now or utcnow()
    waiting = waiting_items(session, person_id)
    if not waiting:
        return DigestResult(person_id, 0, 0)
    if not _claim(session, [n.id for n in waiting], now):
        return None
    still_digest = {kind for kind, delivery in preferences(session, person_id).items() if delivery == DIGEST}
    items = [n for n in waiting if n.read_at is None and n.kind in still_digest][-MAX_ITEMS:]
    state = account_states(session, [person_id]).get(person_id)
    if not items or state is None or not state.active:
        return DigestResult(person_id, 0, len(waiting))
    mails.queue_digest(session, person_id, state.email, items, settings_for(session))
    return DigestResult(person_id, len(items), len(waiting) - len(items))
