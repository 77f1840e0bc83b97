"""The follow-up: some days after an introduction is accepted, both people are asked whether they
met and whether a partnership came of it; their answers record met_at / partnership_at."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.introductions import rules
from portal.introductions.models import ACCEPTED, Introduction
from portal.introductions.settings import IntroductionSettings, settings_for
from portal.profiles.models import Person
from portal.profiles.services import persons_by_ids


def followups_due(session: Session, *, settings: IntroductionSettings | None = None,
                  now: datetime | None = None) -> list[Introduction]:
    """Accepted introductions old enough for a follow-up that none was sent for yet."""
    settings, now = settings_for(session, settings), now or utcnow()
    return list(session.scalars(select(Introduction).where(
        Introduction.status == ACCEPTED, Introduction.followup_sent_at.is_(None),
        Introduction.decided_at <= now - timedelta(days=settings.followup_days)).order_by(Introduction.id)))


def send_followups(session: Session, *, settings: IntroductionSettings | None = None,
                   now: datetime | None = None) -> int:
    """Mail the follow-up question to both people of every due introduction; returns how many
    introductions were followed up. Never twice: each introduction is claimed with a conditional
    UPDATE, so two runs at once (or a rerun) skip what the other already sent."""
    settings, now = settings_for(session, settings), now or utcnow()
    sent = 0
    for introduction in followups_due(session, settings=settings, now=now):
        claimed = session.execute(update(Introduction).where(
            Introduction.id == introduction.id, Introduction.followup_sent_at.is_(None))
            .values(followup_sent_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue
        set_committed_value(introduction, "followup_sent_at", now)
        people = persons_by_ids(session, introduction.person_ids)
        link = settings.link(f"/introductions/{introduction.id}#followup")
        for person_id in introduction.person_ids:
            other = people[introduction.other_id(person_id)]
            rules.notify(session, [person_id], f"Did you meet {other.name}?",
                         f"A while ago you and {other.name} accepted an introduction on PartnerMesh.\n"
                         "Did you meet, and did a partnership come of it? Two clicks tell us:\n"
                         f"{link}\n")
        sent += 1
    return sent


def answer_followup(session: Session, person: Person, introduction_id: int, *, met: bool,
                    partnership: bool) -> Introduction:
    """Record one person's answer. A partnership implies the two met; either person saying so counts
    (a later "no" from the other does not erase it)."""
    introduction = session.get(Introduction, introduction_id) if isinstance(introduction_id, int) else None
    side = introduction.side(person.id) if introduction is not None else None
    if side is None:
        raise NotFound("There is no such introduction.")
    if introduction.status != ACCEPTED:
        raise DomainError("Only an accepted introduction has a follow-up.")
    now = utcnow()
    setattr(introduction, f"{side}_followup_answered_at", now)
    if (met or partnership) and introduction.met_at is None:
        introduction.met_at = now
    if partnership and introduction.partnership_at is None:
        introduction.partnership_at = now
    session.flush()
    rules.changed(session, introduction)
    return introduction
