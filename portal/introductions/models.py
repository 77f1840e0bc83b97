"""Introductions, broker requests and recorded broker suggestions. The private conversation that
opens once both people accept is a one-to-one conversation of portal/messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

PENDING, ACCEPTED, DECLINED, EXPIRED, WITHDRAWN = "pending", "accepted", "declined", "expired", "withdrawn"
STATUSES = (PENDING, ACCEPTED, DECLINED, EXPIRED, WITHDRAWN)
# Statuses that keep a pair from being introduced (or recommended) again.
BLOCKING_STATUSES = (PENDING, ACCEPTED, DECLINED)
ANSWER_ACCEPTED, ANSWER_DECLINED = "accepted", "declined"

REQUEST_OPEN, REQUEST_PROPOSED, REQUEST_DECLINED, REQUEST_WITHDRAWN = "open", "proposed", "declined", "withdrawn"


class Introduction(Base):
    """Two people introduced to each other.

    `a_id` is the requester for a direct request (their answer is recorded as accepted at
    once); for a brokered introduction both sides answer. `requester_id` is the member who
    asked (None when a broker proposed on their own), `broker_id` the ecosystem admin who
    brokered it (None for a direct request).
    """

    __tablename__ = "introductions"
    __table_args__ = (
        CheckConstraint("a_id <> b_id", name="two_people"),
        Index("ix_introductions_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    a_answer: Mapped[str | None] = mapped_column(String(16))
    a_decline_reason: Mapped[str] = mapped_column(String(500), default="")
    a_answered_at: Mapped[datetime | None]
    b_answer: Mapped[str | None] = mapped_column(String(16))
    b_decline_reason: Mapped[str] = mapped_column(String(500), default="")
    b_answered_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    partnership_at: Mapped[datetime | None]
    followup_sent_at: Mapped[datetime | None]
    a_followup_answered_at: Mapped[datetime | None]
    b_followup_answered_at: Mapped[datetime | None]

    @property
    def person_ids(self) -> tuple[int, int]:
        return self.a_id, self.b_id

    @property
    def brokered(self) -> bool:
        return self.broker_id is not None

    def side(self, person_id: int) -> str | None:
        """'a', 'b' or None when the person is not one of the two."""
        return "a" if person_id == self.a_id else "b" if person_id == self.b_id else None

    def other_id(self, person_id: int) -> int:
        return self.b_id if person_id == self.a_id else self.a_id

    def answer_of(self, person_id: int) -> str | None:
        side = self.side(person_id)
        return getattr(self, f"{side}_answer") if side else None


class BrokerRequest(Base):
    """A member asks the ecosystem admins to introduce them to someone they have no path to."""

    __tablename__ = "introduction_broker_requests"
    __table_args__ = (CheckConstraint("requester_id <> target_id", name="two_people"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=REQUEST_OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(String(500), default="")
    introduction_id: Mapped[int | None] = mapped_column(ForeignKey("introductions.id", ondelete="SET NULL"))


class IntroductionSuggestion(Base):
    """A pair the broker's batch suggested (the first stage of the pipeline)."""

    __tablename__ = "introduction_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    a_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
