"""Ecosystem health report: month-by-month mesh metrics, overall and per segment.

Everything is read in bulk (people, companies, admins, connections, the window's interactions and
introduction outcomes: a handful of queries whatever the size), then computed in memory by
portal.health.metrics, whose docstring defines every number.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from portal.errors import DomainError
from portal.health.metrics import PeriodMetrics, Population, period_metrics

SEGMENTS = {"region": "Region", "industry": "Industry", "partner_type": "Partner type"}
ALL_MEMBERS = "All members"
NO_COMPANY = "No company"
NOT_SET = "Not set"
DEFAULT_MONTHS, MAX_MONTHS = 12, 36


@dataclass
class HealthReport:
    months: list[date]                          # first day of each month, oldest first
    start: datetime
    end: datetime                               # exclusive
    segment_by: str | None
    segments: list[str]                         # segment labels, largest first ([] when not segmented)
    monthly: dict[str, list[PeriodMetrics]]     # label (ALL_MEMBERS or a segment) → one per month
    window: dict[str, PeriodMetrics]            # label → the whole window as one period
    owner_company: tuple[int, str] | None       # (id, name)
    owner_staff: int
    introductions_available: bool               # False while the introductions feature is not installed

    @property
    def overall(self) -> PeriodMetrics:
        return self.window[ALL_MEMBERS]


def parse_months(raw: str | int | None) -> int:
    """The number of months asked for: 1-36, 12 by default."""
    if raw is None or raw == "":
        return DEFAULT_MONTHS
    try:
        months = int(raw)
    except (TypeError, ValueError):
        raise DomainError("Months must be a whole number from 1 to 36.", field="months") from None
    if not 1 <= months <= MAX_MONTHS:
        raise DomainError(f"Months must be between 1 and {MAX_MONTHS}.", field="months")
    return months


def parse_segment(raw: str | None) -> str | None:
    """None (whole ecosystem) or one of SEGMENTS."""
    if raw is None or raw in ("", "none", "all"):
        return None
    if raw not in SEGMENTS:
        raise DomainError("Unknown segment: choose region, industry or partner_type.", field="segment")
    return raw


def month_starts(now: datetime, months: int) -> list[datetime]:
    """First instants (UTC) of the last `months` months, the current one included, plus the next month's."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    starts = []
    for back in range(months - 1, -2, -1):
        y, m = divmod(year * 12 + month - 1 - back, 12)
        starts.append(datetime(y, m + 1, 1, tzinfo=UTC))
    return starts


def _segment_label(segment_by: str, company) -> str:
    from portal.companies.models import PARTNER_TYPES

    if company is None:
        return NO_COMPANY
    value = getattr(company, segment_by)
    if segment_by == "partner_type":
        value = PARTNER_TYPES.get(value, value)
    return value or NOT_SET


def _introduction_outcomes(session: Session, since: datetime, until: datetime) -> tuple[list, bool]:
    """Introductions created in [since, until) - or nothing when that feature is not installed."""
    try:
        from portal.introductions.services import introduction_outcomes
    except ModuleNotFoundError as missing:
        if missing.name and missing.name.startswith("portal.introductions"):
            return [], False
        raise
    except ImportError:  # the module exists but does not offer outcomes (yet)
        return [], False
    return list(introduction_outcomes(session, since=since, until=until)), True


def health_report(session: Session, *, months: int = DEFAULT_MONTHS, segment_by: str | None = None,
                  now: datetime | None = None) -> HealthReport:
    """Mesh metrics for each of the last `months` months (the current one included), overall and,
    with `segment_by`, per region, industry or partner type."""
    from portal.admin.owner import owner_company_id
    from portal.auth.graph_export import ecosystem_admin_user_ids
    from portal.companies.graph_export import company_rows
    from portal.forums.interactions import person_interactions
    from portal.profiles.graph_export import connection_rows, person_rows

    months = parse_months(months)
    segment_by = parse_segment(segment_by)
    bounds = month_starts(now or datetime.now(UTC), months)
    start, end = bounds[0], bounds[-1]

    companies = {company.id: company for company in company_rows(session)}
    owner_id = owner_company_id(session)
    admin_users = ecosystem_admin_user_ids(session)
    members = person_rows(session)  # company_id is None unless the membership is active
    staff = frozenset(m.id for m in members
                      if (owner_id is not None and m.company_id == owner_id) or m.user_id in admin_users)
    population = Population(company_of={m.id: m.company_id for m in members}, owner_staff=staff,
                            joined_at={m.id: m.created_at for m in members})
    labels_of: dict[int, tuple[str, ...]] = {}
    sizes: dict[str, int] = defaultdict(int)
    for m in members:
        if segment_by is None:
            labels_of[m.id] = (ALL_MEMBERS,)
            continue
        label = _segment_label(segment_by, companies.get(m.company_id))
        labels_of[m.id] = (ALL_MEMBERS, label)
        sizes[label] += 1

    interactions: list[list[tuple[int, int]]] = [[] for _ in range(months)]
    for item in person_interactions(session, since=start, until=end):
        interactions[_bucket(bounds, item.at)].append((item.actor_id, item.target_id))
    connections = sorted(connection_rows(session, until=end), key=lambda c: c[2])
    new_connections: list[list[tuple[int, int]]] = [[] for _ in range(months)]
    for a, b, at in connections:
        if at >= start:
            new_connections[_bucket(bounds, at)].append((a, b))
    raw_outcomes, introductions_available = _introduction_outcomes(session, start, end)
    outcomes: list[list[tuple[int, int, str]]] = [[] for _ in range(months)]
    for outcome in raw_outcomes:
        if start <= outcome.created_at < end:
            outcomes[_bucket(bounds, outcome.created_at)].append((outcome.a_id, outcome.b_id, outcome.status))

    labels = [ALL_MEMBERS, *sorted(sizes, key=lambda label: (-sizes[label], label))]
    monthly: dict[str, list[PeriodMetrics]] = {label: [] for label in labels}
    connected: set[int] = set()
    position = 0
    for index in range(months):
        month_end = bounds[index + 1]
        while position < len(connections) and connections[position][2] < month_end:
            connected.update(connections[position][:2])
            position += 1
        period = period_metrics(population, labels_of, interactions=interactions[index],
                                new_connections=new_connections[index], connected=connected, end=month_end,
                                outcomes=outcomes[index])
        for label in labels:
            monthly[label].append(period.get(label) or PeriodMetrics())
    whole = period_metrics(population, labels_of, interactions=[i for month in interactions for i in month],
                           new_connections=[c for month in new_connections for c in month],
                           connected=connected, end=end, outcomes=[o for month in outcomes for o in month])
    owner = companies.get(owner_id) if owner_id is not None else None
    return HealthReport(
        months=[b.date() for b in bounds[:-1]], start=start, end=end, segment_by=segment_by,
        segments=labels[1:], monthly=monthly, window={label: whole.get(label) or PeriodMetrics() for label in labels},
        owner_company=(owner.id, owner.name) if owner else None, owner_staff=len(staff),
        introductions_available=introductions_available)


def _bucket(bounds: list[datetime], at: datetime) -> int:
    """Index of the month containing `at` (bounds are the months' first instants plus the end)."""
    return bisect_right(bounds, at) - 1


CSV_COLUMNS = (
    "month", "segment_by", "segment", "interactions", "peer_interactions", "owner_interactions",
    "within_company_interactions", "peer_share", "owner_share", "within_company_share", "active_people",
    "cross_company_ties", "possible_cross_company_pairs", "tie_density", "avg_clustering", "degree_gini",
    "members", "isolated_members", "isolated_share", "introductions_decided", "introductions_accepted",
    "acceptance_rate", "mesh_score",
)


def _number(value: float | int | None) -> str:
    """Plain numbers for spreadsheets: integers as they are, ratios to 6 places, undefined as empty."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"


def csv_rows(report: HealthReport) -> Iterator[list[str]]:
    """The header, then one row per month x segment (per month for the whole ecosystem when not segmented)."""
    yield list(CSV_COLUMNS)
    labels = report.segments if report.segment_by else [ALL_MEMBERS]
    for index, month in enumerate(report.months):
        for label in labels:
            m = report.monthly[label][index]
            yield [month.strftime("%Y-%m"), report.segment_by or "all", label, *(_number(v) for v in (
                m.interactions, m.peer, m.owner, m.within, m.peer_share, m.owner_share, m.within_share,
                m.active_people, m.cross_company_ties, m.possible_cross_company_pairs, m.tie_density,
                m.avg_clustering, m.degree_gini, m.members, m.isolated, m.isolated_share,
                m.introductions_decided, m.introductions_accepted, m.acceptance_rate, m.mesh_score))]
