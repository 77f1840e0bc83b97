"""What the health page shows: the report turned into charts with their data tables."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from portal.health.charts import Series, bar_chart, decimal, line_chart, percent
from portal.health.metrics import PeriodMetrics
from portal.health.services import ALL_MEMBERS, SEGMENTS, HealthReport


@dataclass
class ChartView:
    id: str
    heading: str
    svg: Markup
    columns: list[str]          # the data table's header: category, then one column per series
    rows: list[list[str]]


def fmt_percent(value: float | None) -> str:
    return "–" if value is None else percent(value)


def fmt_decimal(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def fmt_density(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def fmt_score(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _table(categories: list[str], series: list[Series], fmt) -> tuple[list[str], list[list[str]]]:
    columns = [s.name for s in series]
    rows = [[category, *(fmt(s.values[i]) for s in series)] for i, category in enumerate(categories)]
    return columns, rows


def _chart(kind, chart_id: str, heading: str, categories: list[str], series: list[Series], *, description: str,
           x_label: str, y_label: str, table_fmt, **options) -> ChartView:
    svg = kind(categories, series, title=heading, description=description, x_label=x_label, y_label=y_label,
               chart_id=chart_id, **options)
    columns, rows = _table(categories, series, table_fmt)
    return ChartView(chart_id, heading, svg, [x_label, *columns], rows)


def report_charts(report: HealthReport) -> list[ChartView]:
    """Month-by-month charts of the whole ecosystem, plus one comparing the segments when segmented."""
    months = [m.strftime("%b %Y") for m in report.months]
    overall: list[PeriodMetrics] = report.monthly[ALL_MEMBERS]
    owner = report.owner_company[1] if report.owner_company else "the ecosystem admins"
    shares = [Series("Peer to peer across companies", [m.peer_share for m in overall]),
              Series(f"Through {owner}'s staff", [m.owner_share for m in overall]),
              Series("Within one company", [m.within_share for m in overall])]
    charts = [
        _chart(line_chart, "chart-shares", "Who talks to whom, month by month", months, shares,
               description="Share of person-to-person interactions each month that are peer to peer across "
                           "companies, that involve the owner's staff, and that stay within one company.",
               x_label="Month", y_label="Share of interactions", y_max=1.0, fmt=percent,
               table_fmt=fmt_percent),
        _chart(bar_chart, "chart-structure", "Clustering and degree concentration", months,
               [Series("Average clustering", [m.avg_clustering for m in overall]),
                Series("Degree Gini", [m.degree_gini for m in overall])],
               description="Average clustering coefficient and Gini coefficient of degree of each month's "
                           "interaction graph (0 to 1; a lower Gini means activity is spread more evenly).",
               x_label="Month", y_label="Coefficient (0-1)", y_max=1.0, fmt=decimal,
               table_fmt=fmt_decimal),
        _chart(bar_chart, "chart-density", "Cross-company tie density", months,
               [Series("Tie density", [m.tie_density for m in overall])],
               description="Cross-company pairs of partners that interacted or connected in the month, "
                           "divided by the pairs possible among that month's active partners.",
               x_label="Month", y_label="Density", fmt=decimal, table_fmt=fmt_density),
        _chart(line_chart, "chart-reach", "Isolated members and accepted introductions", months,
               [Series("Isolated members", [m.isolated_share for m in overall]),
                Series("Introductions accepted", [m.acceptance_rate for m in overall])],
               description="Share of partners with no interaction in the month and no connection, and the "
                           "share of decided introductions that were accepted.",
               x_label="Month", y_label="Share", y_max=1.0, fmt=percent, table_fmt=fmt_percent),
    ]
    if report.segment_by:
        name = SEGMENTS[report.segment_by]
        window = [report.window[label] for label in report.segments]
        charts.append(_chart(
            bar_chart, "chart-segments", f"Peer-to-peer share by {name.lower()} over the whole period",
            list(report.segments),
            [Series("Peer to peer", [m.peer_share for m in window]),
             Series("Through the owner's staff", [m.owner_share for m in window])],
            description=f"For each {name.lower()}, the share of its members' interactions (as actors) that are "
                        "peer to peer across companies and that involve the owner's staff.",
            x_label=name, y_label="Share of interactions", y_max=1.0, fmt=percent, table_fmt=fmt_percent,
            rotate_labels=True))
    return charts
