"""A broker's suggested batch and its rows, kept so that the broker can work through it.

The introductions feature records each suggestion for the pipeline counts
(portal.introductions.services.record_suggestions); these tables hold what the console needs on
top of that: the filters a batch was made with, the reasons of each pair, and which rows the
broker has proposed (or why proposing failed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow

ITEM_OPEN, ITEM_PROPOSED, ITEM_FAILED = "open", "proposed", "failed"
METHOD_EXACT, METHOD_APPROXIMATE = "exact", "approximate"


class BrokerBatch(Base):
    __tablename__ = "broker_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    region: Mapped[str] = mapped_column(String(80), default="")
    industry: Mapped[str] = mapped_column(String(80), default="")
    partner_type: Mapped[str] = mapped_column(String(32), default="")
    per_person_limit: Mapped[int] = mapped_column(default=1)   # k: proposals a person may receive per period
    candidates_per_person: Mapped[int] = mapped_column(default=10)
    method: Mapped[str] = mapped_column(String(16), default=METHOD_APPROXIMATE)
    candidate_pairs: Mapped[int] = mapped_column(default=0)
    total_score: Mapped[float] = mapped_column(Float, default=0.0)
    elapsed_ms: Mapped[int] = mapped_column(default=0)


class BrokerBatchItem(Base):
    __tablename__ = "broker_batch_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("broker_batches.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(default=0)  # 1 = best score of the batch
    a_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=ITEM_OPEN)
    introduction_id: Mapped[int | None] = mapped_column(ForeignKey("introductions.id", ondelete="SET NULL"))
    error: Mapped[str] = mapped_column(String(500), default="")  # why proposing failed, shown next to the row
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
