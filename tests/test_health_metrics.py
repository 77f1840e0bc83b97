"""Ecosystem health numbers: pure metrics with known answers, the report over a small ecosystem."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.errors import DomainError
from portal.health.metrics import OWNER, PEER, WITHIN, Population, classify, cross_company_pairs, gini, period_metrics
from portal.health.services import ALL_MEMBERS, csv_rows, health_report, month_starts
from tests.test_health_support import small_ecosystem

END = datetime(2025, 7, 1, tzinfo=UTC)
JOINED = datetime(2025, 1, 1, tzinfo=UTC)


def _population(companies: dict[int, int | None], staff=()) -> Population:
    return Population(company_of=companies, owner_staff=frozenset(staff), joined_at=dict.fromkeys(companies, JOINED))


def test_gini_of_degrees():
    assert gini([]) is None
    assert gini([2, 2, 2]) == 0.0
    assert gini([1, 1, 2]) == pytest.approx(1 / 6)
    assert gini([3, 1, 1, 1]) == pytest.approx(0.25)  # a star of four
    assert gini([0, 0, 0, 5]) == pytest.approx(0.75)  # one holds everything: (n-1)/n


def test_classify_and_possible_cross_company_pairs():
    population = _population({1: 10, 2: 10, 3: 20, 4: None, 5: None, 9: 99}, staff=[9])
    assert classify(population, 1, 2) == WITHIN
    assert classify(population, 1, 3) == PEER
    assert classify(population, 4, 5) == PEER  # no company: a company of one each
    assert classify(population, 3, 9) == OWNER and classify(population, 9, 1) == OWNER
    # 5 people, 10 pairs, one of them inside company 10.
    assert cross_company_pairs([1, 2, 3, 4, 5], population.company_of) == 9


def test_star_graph_with_segments():
    # Person 1 (company A, "north") talks to 2, 3, 4 (companies B, C and none, "south"); 5 stays isolated.
    population = _population({1: 1, 2: 2, 3: 3, 4: None, 5: 5, 6: 6})
    labels = {1: ("all", "north"), 2: ("all", "south"), 3: ("all", "south"), 4: ("all", "south"),
              5: ("all", "north"), 6: ("all", "north")}
    result = period_metrics(population, labels, interactions=[(1, 2), (1, 3), (4, 1), (1, 2)],
                            new_connections=[(2, 3)], connected={2, 3, 6}, end=END,
                            outcomes=[(1, 2, "accepted"), (3, 4, "declined"), (1, 5, "pending")])
    everyone = result["all"]
    assert (everyone.interactions, everyone.peer, everyone.peer_share) == (4, 4, 1.0)
    assert everyone.active_people == 4 and everyone.degree_gini == pytest.approx(0.25)
    assert everyone.avg_clustering == 0.0  # 2-3 is a connection, not an interaction: no triangle
    # Ties: 1-2, 1-3, 1-4 (interactions) and 2-3 (a new connection) among 4 active people: 6 pairs.
    assert (everyone.cross_company_ties, everyone.possible_cross_company_pairs) == (4, 6)
    # 5 is isolated; 6 did nothing this period but has a connection.
    assert (everyone.members, everyone.isolated) == (6, 1)
    assert (everyone.introductions_decided, everyone.introductions_accepted) == (2, 1)
    north, south = result["north"], result["south"]
    assert north.interactions == 3 and south.interactions == 1  # by the actor's segment
    assert north.active_people == 1 and north.degree_gini == 0.0
    assert (north.cross_company_ties, north.possible_cross_company_pairs) == (3, 3)
    assert (south.cross_company_ties, south.possible_cross_company_pairs) == (4, 6)
    assert (north.members, north.isolated, south.members, south.isolated) == (3, 1, 3, 0)
    assert north.acceptance_rate == 1.0 and south.acceptance_rate == 0.5


def test_clustering_of_a_triangle_with_a_tail():
    population = _population({1: 1, 2: 2, 3: 3, 4: 4})
    result = period_metrics(population, dict.fromkeys(range(1, 5), ("all",)),
                            interactions=[(1, 2), (2, 3), (3, 1), (1, 4)], new_connections=[], connected=set(),
                            end=END)
    # Node 1: one link among its 3 contacts; 2 and 3: 1; 4: a single contact, 0.
    assert result["all"].avg_clustering == pytest.approx((1 / 3 + 1 + 1 + 0) / 4)


def test_month_starts_wrap_the_year():
    starts = month_starts(datetime(2025, 2, 10, 15, tzinfo=UTC), 3)
    assert [s.strftime("%Y-%m") for s in starts] == ["2024-12", "2025-01", "2025-02", "2025-03"]


def test_report_on_a_small_ecosystem(session):
    eco = small_ecosystem(session)
    report = health_report(session, months=3, now=eco["now"])
    assert len(report.months) == 3 and report.owner_company == (eco["hub"].id, "Hub Co")
    assert report.owner_staff == 2  # olga (Hub Co) and adam (ecosystem admin)
    last, this = report.monthly[ALL_MEMBERS][1], report.monthly[ALL_MEMBERS][2]
    assert (this.interactions, this.peer, this.within, this.owner) == (3, 2, 1, 0)
    assert this.peer_share == pytest.approx(2 / 3) and this.within_share == pytest.approx(1 / 3)
    # ben-gus and ben-bea: degrees 2, 1, 1, no triangle.
    assert this.degree_gini == pytest.approx(1 / 6) and this.avg_clustering == 0.0
    # One cross-company tie (ben-gus) of the two possible among ben, bea, gus (ben and bea are colleagues).
    assert (this.cross_company_ties, this.possible_cross_company_pairs, this.tie_density) == (1, 2, 0.5)
    assert (this.members, this.isolated) == (4, 1)  # ivy
    assert (last.interactions, last.owner, last.owner_share) == (2, 2, 1.0)
    whole = report.overall
    assert (whole.interactions, whole.peer, whole.owner, whole.within) == (5, 2, 2, 1)
    # P = 2 / (2 + 2); Gini of degrees 1,1,1,2,3 = 0.25; isolated 1 of 4.
    assert whole.mesh_score == pytest.approx(100 * (0.5 * 0.5 + 0.25 * 0.75 + 0.25 * 0.75))


def test_report_segments_by_the_actors_company(session):
    eco = small_ecosystem(session)
    report = health_report(session, months=3, segment_by="region", now=eco["now"])
    assert set(report.segments) == {"North America", "Western Europe", "No company"}
    america, europe = report.monthly["North America"][2], report.monthly["Western Europe"][2]
    assert (america.interactions, america.peer, america.within) == (2, 1, 1)  # ben quotes gus, bea answers ben
    assert (europe.interactions, europe.peer) == (1, 1)  # gus answers ben
    assert report.monthly["Western Europe"][1].owner == 1  # olga; adam has no company
    assert report.monthly["No company"][1].owner == 1
    assert report.window["No company"].isolated == 1  # ivy
    by_type = health_report(session, months=3, segment_by="partner_type", now=eco["now"])
    assert {"Reseller", "ISV", "Other", "No company"} == set(by_type.segments)


def test_introduction_acceptance_rate(session):
    from portal.introductions.services import answer_introduction, request_introduction

    eco = small_ecosystem(session)
    first = request_introduction(session, eco["ben"], eco["gus"], "Let's talk freight.")
    answer_introduction(session, eco["gus"], first.id, True)
    second = request_introduction(session, eco["bea"], eco["ivy"], "Hello!")
    answer_introduction(session, eco["ivy"], second.id, False)
    request_introduction(session, eco["gus"], eco["bea"], "Pending one.")
    session.commit()
    report = health_report(session, months=1, segment_by="industry")
    assert report.introductions_available
    overall = report.overall
    assert (overall.introductions_decided, overall.introductions_accepted, overall.acceptance_rate) == (2, 1, 0.5)
    assert report.window["Logistics"].acceptance_rate == 1.0  # gus's only decided introduction was accepted
    assert report.window["No company"].acceptance_rate == 0.0  # ivy declined


def test_csv_rows_one_per_month_and_segment(session):
    eco = small_ecosystem(session)
    rows = list(csv_rows(health_report(session, months=2, segment_by="industry", now=eco["now"])))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["month", "segment_by", "segment", "interactions"]
    assert len(body) == 2 * 4  # Software, Retail, Logistics, No company
    month = eco["now"].strftime("%Y-%m")
    retail = next(r for r in body if r[0] == month and r[2] == "Retail")
    record = dict(zip(header, retail, strict=True))
    assert record["segment_by"] == "industry" and record["interactions"] == "2"
    assert float(record["peer_share"]) == 0.5 and float(record["within_company_share"]) == 0.5
    empty = next(r for r in body if r[0] != month and r[2] == "Retail")
    assert dict(zip(header, empty, strict=True))["peer_share"] == ""  # no interactions: undefined, not 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"months": 0}, "between 1 and 36"), ({"months": 37}, "between 1 and 36"),
    ({"segment_by": "company"}, "Unknown segment")])
def test_bad_report_parameters(session, kwargs, message):
    with pytest.raises(DomainError, match=message):
        health_report(session, **kwargs)


def test_report_reads_in_bulk(session):
    """The number of queries does not grow with people, companies or months (no N+1)."""
    from sqlalchemy import event

    from portal.forums import services as forums
    from tests.test_companies_support import make_company, make_user

    def queries(**kwargs) -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(session.get_bind(), "before_cursor_execute", listener)
        try:
            health_report(session, **kwargs)
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", listener)
        return sum(statement.lstrip().upper().startswith("SELECT") for statement in statements)

    eco = small_ecosystem(session)
    before = queries(months=3, segment_by="region")
    category = forums.create_category(session, "More")
    for n in range(6):
        _, person = make_user(session, f"extra{n}@more.example")
        make_company(session, person, f"Extra {n}", region="Oceania")
        thread = forums.create_thread(session, category, person.id, f"Question number {n}", "Anyone?")
        forums.reply(session, thread, eco["gus"].id, "Yes, us.")
    session.commit()
    assert queries(months=3, segment_by="region") == before
    assert queries(months=24, segment_by="region") == before <= 12
