"""The broker console's work: suggest a batch for a segment, propose its rows, read the pipeline.

A batch is the best set of introductions for the ecosystem (or a segment of it) such that each
person receives at most k proposals per period: the matching engine's candidate pairs
(portal.matching.services.suggested_pairs) go through the b-matching of portal.broker.batch,
exactly when the candidate list is small and otherwise with the greedy + local search planner
(at least half the optimal total score). Proposals go through the introductions feature, which
checks every rule (suspended members, pairs already introduced, weekly limits).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.broker.batch import exact_batch, plan_batch, total_score
from portal.broker.models import (
    ITEM_FAILED,
    ITEM_OPEN,
    ITEM_PROPOSED,
    METHOD_APPROXIMATE,
    METHOD_EXACT,
    BrokerBatch,
    BrokerBatchItem,
)
from portal.companies.models import INDUSTRIES, PARTNER_TYPES, company_regions
from portal.companies.services import company_summaries
from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.introductions import services as introductions
from portal.matching.services import suggested_pairs
from portal.pagination import Page, paginate
from portal.profiles.segments import people_in_segment, segments_of
from portal.profiles.services import persons_by_ids

# A batch limits proposals per person over this period (the introductions' limits are weekly too).
PERIOD = timedelta(days=7)
# Up to this many candidate pairs the batch is solved exactly (blossom algorithm, under ~1 s at 300).
EXACT_LIMIT = 300
MAX_PER_PERSON_LIMIT = 20
MAX_CANDIDATES_PER_PERSON = 50
ROWS_PER_PAGE = 50
NOTE_PLACEHOLDERS = ("name_a", "name_b", "company_a", "company_b")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Segment:
    """Region, industry and partner type of people's companies ('' = any)."""

    region: str = ""
    industry: str = ""
    partner_type: str = ""

    def check(self) -> None:
        for name, value, allowed in (("region", self.region, company_regions()),
                                     ("industry", self.industry, INDUSTRIES),
                                     ("partner_type", self.partner_type, PARTNER_TYPES)):
            if value and value not in allowed:
                raise DomainError(f"Unknown {name.replace('_', ' ')}: {value!r}.", field=name)

    def person_ids(self, session: Session) -> set[int] | None:
        return people_in_segment(session, region=self.region, industry=self.industry,
                                 partner_type=self.partner_type)

    @property
    def label(self) -> str:
        parts = [self.region, self.industry, PARTNER_TYPES.get(self.partner_type, self.partner_type)]
        return " · ".join(p for p in parts if p) or "The whole ecosystem"


@dataclass(frozen=True)
class BatchOptions:
    segment: Segment = Segment()
    per_person_limit: int = 2          # k: proposals a person may receive per PERIOD
    candidates_per_person: int = 10    # how many candidates the engine considers per person
    both_in_segment: bool = True       # False: at least one of the two people in the segment

    def check(self) -> None:
        self.segment.check()
        if not 1 <= self.per_person_limit <= MAX_PER_PERSON_LIMIT:
            raise DomainError(f"Proposals per person must be between 1 and {MAX_PER_PERSON_LIMIT}.",
                              field="per_person_limit")
        if not 1 <= self.candidates_per_person <= MAX_CANDIDATES_PER_PERSON:
            raise DomainError(f"Candidates per person must be between 1 and {MAX_CANDIDATES_PER_PERSON}.",
                              field="candidates_per_person")


def remaining_capacity(session: Session, person_limit: int, *, now: datetime | None = None) -> dict[int, int]:
    """k minus the brokered introductions each person received in the last PERIOD (only people
    who received any are listed; everyone else has k)."""
    since = (now or utcnow()) - PERIOD
    received: Counter[int] = Counter()
    for outcome in introductions.introduction_outcomes(session, since=since):
        if outcome.brokered:
            received.update((outcome.a_id, outcome.b_id))
    return {person: max(0, person_limit - count) for person, count in received.items()}


def candidate_pairs(session: Session, person_ids: set[int] | None, per_person: int) -> list:
    """The matching engine's candidate pairs (SuggestedPair: a_id, b_id, score, reasons)."""
    return suggested_pairs(session, person_ids, per_person=per_person)


def suggest_batch(session: Session, broker_person_id: int, options: BatchOptions, *,
                  now: datetime | None = None) -> BrokerBatch:
    """Compute, store and record (as pipeline suggestions) the best batch for `options`."""
    options.check()
    started = time.perf_counter()
    segment_ids = options.segment.person_ids(session)
    if segment_ids is not None and not segment_ids:
        raise DomainError("Nobody belongs to this segment: choose other filters.")
    pairs = candidate_pairs(session, segment_ids, options.candidates_per_person)
    if segment_ids is not None:
        if options.both_in_segment:
            pairs = [p for p in pairs if p.a_id in segment_ids and p.b_id in segment_ids]
        else:
            pairs = [p for p in pairs if p.a_id in segment_ids or p.b_id in segment_ids]
    capacity = remaining_capacity(session, options.per_person_limit, now=now)
    exact = len(pairs) <= EXACT_LIMIT
    planner = exact_batch if exact else plan_batch
    chosen = planner(pairs, capacity, default_capacity=options.per_person_limit)
    batch = BrokerBatch(
        broker_id=broker_person_id, region=options.segment.region, industry=options.segment.industry,
        partner_type=options.segment.partner_type, per_person_limit=options.per_person_limit,
        candidates_per_person=options.candidates_per_person, method=METHOD_EXACT if exact else METHOD_APPROXIMATE,
        candidate_pairs=len(pairs), total_score=total_score(chosen),
        elapsed_ms=round((time.perf_counter() - started) * 1000))
    session.add(batch)
    session.flush()
    session.add_all(BrokerBatchItem(batch_id=batch.id, rank=rank, a_id=min(p.a_id, p.b_id),
                                    b_id=max(p.a_id, p.b_id), score=p.score, reasons=list(p.reasons or []))
                    for rank, p in enumerate(chosen, start=1))
    introductions.record_suggestions(session, broker_person_id,
                                     [(min(p.a_id, p.b_id), max(p.a_id, p.b_id), p.score) for p in chosen])
    session.flush()
    return batch


def recent_batches(session: Session, limit: int = 10) -> list[BrokerBatch]:
    return list(session.scalars(select(BrokerBatch).order_by(BrokerBatch.created_at.desc(), BrokerBatch.id.desc())
                                .limit(limit)))


def batch_by_id(session: Session, batch_id: int) -> BrokerBatch:
    batch = session.get(BrokerBatch, batch_id)
    if batch is None:
        raise NotFound("There is no such batch.")
    return batch


def batch_status_counts(session: Session, batch_id: int) -> dict[str, int]:
    rows = session.execute(select(BrokerBatchItem.status, func.count()).where(BrokerBatchItem.batch_id == batch_id)
                           .group_by(BrokerBatchItem.status))
    counts = {ITEM_OPEN: 0, ITEM_PROPOSED: 0, ITEM_FAILED: 0}
    counts.update(dict(rows.all()))
    return counts


@dataclass(frozen=True)
class PersonSummary:
    id: int
    name: str
    slug: str
    company: str
    company_slug: str
    region: str      # the person's own region, else their company's
    industry: str    # their company's


def person_summaries(session: Session, person_ids) -> dict[int, PersonSummary]:
    """Name, company, region and industry of people, for the console's rows (admins see every profile)."""
    people = persons_by_ids(session, set(person_ids))
    companies = company_summaries(session, {p.company_id for p in people.values() if p.company_id})
    segments = segments_of(session, people)
    summaries = {}
    for person_id, person in people.items():
        company_name, company_slug = companies.get(person.company_id, ("", ""))
        region, industry, _ = segments.get(person_id, ("", "", ""))
        summaries[person_id] = PersonSummary(person_id, person.name, person.slug, company_name, company_slug,
                                             person.region or region, industry)
    return summaries


@dataclass(frozen=True)
class BatchRow:
    item: BrokerBatchItem
    a: PersonSummary
    b: PersonSummary


def batch_rows(session: Session, batch_id: int, page: int = 1, *,
               status: str | None = None) -> tuple[Page, list[BatchRow]]:
    """A page of a batch's rows (best first) with both people summarised."""
    stmt = select(BrokerBatchItem).where(BrokerBatchItem.batch_id == batch_id)
    if status:
        stmt = stmt.where(BrokerBatchItem.status == status)
    result = paginate(session, stmt.order_by(BrokerBatchItem.rank), page, ROWS_PER_PAGE)
    people = person_summaries(session, {i for item in result.items for i in (item.a_id, item.b_id)})
    missing = PersonSummary(0, "(deleted profile)", "", "", "", "", "")
    rows = [BatchRow(item, people.get(item.a_id, missing), people.get(item.b_id, missing)) for item in result.items]
    return result, rows


def render_note(template: str, a: PersonSummary, b: PersonSummary) -> str:
    """Fill {name_a}, {name_b}, {company_a}, {company_b} in a note; any other {…} is an error."""
    values = {"name_a": a.name, "name_b": b.name, "company_a": a.company or "their company",
              "company_b": b.company or "their company"}
    unknown = sorted({m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1) not in values})
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in NOTE_PLACEHOLDERS)
        raise DomainError(f"Unknown placeholder {{{unknown[0]}}} in the note; use {allowed}.", field="note")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def propose_items(session: Session, broker_person_id: int, batch_id: int, item_ids,
                  note_template: str) -> dict[int, str]:
    """Propose the given rows of a batch with a note (placeholders filled per row).

    Each row is proposed in its own savepoint: a row the introductions feature refuses (already
    introduced, suspended member, limit reached) is marked failed with the reason and the other
    rows go ahead. Returns item id -> '' when proposed or the error message.
    """
    batch_by_id(session, batch_id)
    wanted = {int(i) for i in item_ids}
    if not wanted:
        raise DomainError("Choose at least one suggestion to propose.")
    items = list(session.scalars(select(BrokerBatchItem).where(BrokerBatchItem.batch_id == batch_id,
                                                               BrokerBatchItem.id.in_(wanted))
                                 .order_by(BrokerBatchItem.rank)))
    if len(items) != len(wanted):
        raise NotFound("Some of these suggestions are not part of this batch.")
    people = person_summaries(session, {i for item in items for i in (item.a_id, item.b_id)})
    notes = {item.id: render_note(note_template, people[item.a_id], people[item.b_id]) for item in items
             if item.a_id in people and item.b_id in people}  # a bad placeholder fails before any proposal
    outcome: dict[int, str] = {}
    for item in items:
        outcome[item.id] = _propose_item(session, broker_person_id, item, notes.get(item.id))
    return outcome


def _propose_item(session: Session, broker_person_id: int, item: BrokerBatchItem, note: str | None) -> str:
    if item.status == ITEM_PROPOSED:
        error = "Already proposed."
    elif note is None:
        error = "One of the two profiles no longer exists."
    else:
        try:
            with session.begin_nested():
                introduction = introductions.propose_introduction(
                    session, broker_person_id, item.a_id, item.b_id, note, score=item.score, reasons=item.reasons)
        except DomainError as refused:
            error = refused.message
        else:
            item.status, item.error, item.introduction_id = ITEM_PROPOSED, "", introduction.id
            session.flush()
            return ""
    if item.status != ITEM_PROPOSED:
        item.status, item.error = ITEM_FAILED, error[:500]
        session.flush()
    return error


# --- Pipeline -------------------------------------------------------------------------------

STAGES = (("suggested", "Suggested"), ("proposed", "Proposed"), ("accepted", "Accepted"), ("met", "Met"),
          ("partnership", "Partnership"))


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int
    rate: float | None  # share of the previous stage that reached this one (None for the first, or 0 before)


def pipeline(session: Session, segment: Segment, *, since: datetime | None = None,
             until: datetime | None = None) -> list[Stage]:
    """Counts per stage for a segment and period, with the conversion from each stage to the next."""
    segment.check()
    if since and until and since >= until:
        raise DomainError("The period must end after it starts.", field="until")
    person_ids = segment.person_ids(session)
    counts = introductions.pipeline_counts(session, since=since, until=until, person_ids=person_ids)
    stages, previous = [], None
    for key, label in STAGES:
        count = int(counts.get(key, 0))
        rate = None if not previous else count / previous
        stages.append(Stage(key, label, count, rate))
        previous = count
    return stages
