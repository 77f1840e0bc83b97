"""Server-rendered SVG charts: small pure functions from data to markup, no JavaScript.

Every piece is a literal Markup template filled with Markup.format, which escapes each value (titles,
series names, category labels), so a company called "<script>" is drawn as text. Charts are images with a <title> and a
<desc> (role="img", aria-labelledby); pages put a data table under each chart for screen readers
and for copying the numbers. Colours are SVG presentation attributes (the CSP forbids inline
style); they keep 3:1 contrast against white (WCAG 1.4.11) and lines also differ in dash pattern.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

PALETTE = ("#1d4ed8", "#c2410c", "#15803d", "#7e22ce")
DASHES = ("", "6 4", "2 3", "8 3 2 3")
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT = 64, 16
LEGEND_ROW, LEGEND_CHARS = 18, 60  # legend row height; longer series names are shortened in the legend


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def decimal(value: float) -> str:
    return f"{value:.3g}"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at least `value` (1 for nothing to show)."""
    if value <= 0 or math.isnan(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _chart_id(raw: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", raw.lower())[:60] or "chart"


@dataclass(frozen=True)
class _Frame:
    """Plot area geometry shared by both chart kinds."""

    categories: Sequence[str]
    y_max: float
    bottom: int
    top: int

    @property
    def plot_width(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def height(self) -> int:
        return HEIGHT + self.bottom - 56 + self.top - 44

    def y(self, value: float) -> float:
        return self.top + self.plot_height * (1 - min(value, self.y_max) / self.y_max)

    def slot(self, index: int) -> tuple[float, float]:
        """Left edge and width of category `index`'s slot."""
        width = self.plot_width / max(len(self.categories), 1)
        return LEFT + index * width, width


def _open(chart_id: str, frame: _Frame, title: str, description: str) -> list[Markup]:
    return [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" '
               'height="{h}" role="img" aria-labelledby="{id}-title {id}-desc" '
               'font-family="system-ui, sans-serif" font-size="12" fill="#1f2937">').format(
            w=WIDTH, h=frame.height, id=chart_id),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<desc id="{}-desc">{}</desc>').format(chart_id, description),
    ]


def _axes(frame: _Frame, fmt: Callable[[float], str], x_label: str, y_label: str, rotate: bool) -> list[Markup]:
    parts = []
    for step in range(5):
        value = frame.y_max * step / 4
        y = frame.y(value)
        parts.append(Markup('<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#d1d5db"/>').format(
            LEFT, WIDTH - RIGHT, y, y))
        parts.append(Markup('<text x="{}" y="{:.1f}" text-anchor="end">{}</text>').format(LEFT - 6, y + 4, fmt(value)))
    base = frame.y(0)
    parts.append(Markup('<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#6b7280"/>').format(
        LEFT, WIDTH - RIGHT, base, base))
    for index, label in enumerate(frame.categories):
        left, width = frame.slot(index)
        x = left + width / 2
        if rotate:
            parts.append(Markup('<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" transform="rotate(-35 {x:.1f} '
                                '{y:.1f})">{label}</text>').format(x=x, y=base + 14, label=label))
        else:
            # "Jan 2026" → "Jan" over "2026": twelve months fit side by side.
            first, _, rest = label.partition(" ")
            parts.append(Markup('<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{first}<tspan x="{x:.1f}" '
                                'dy="14">{rest}</tspan></text>').format(x=x, y=base + 16, first=first, rest=rest))
    parts.append(Markup('<text x="{:.1f}" y="{}" text-anchor="middle" font-weight="bold">{}</text>').format(
        LEFT + frame.plot_width / 2, frame.height - 6, x_label))
    middle = frame.top + frame.plot_height / 2
    parts.append(Markup('<text x="14" y="{m:.1f}" text-anchor="middle" font-weight="bold" '
                        'transform="rotate(-90 14 {m:.1f})">{label}</text>').format(m=middle, label=y_label))
    return parts


def _legend_name(name: str) -> str:
    return name if len(name) <= LEGEND_CHARS else name[:LEGEND_CHARS - 1] + "…"


def _legend_positions(series: Sequence[Series]) -> list[tuple[int, int]]:
    """Where each legend entry starts, wrapping onto a new row when the next would not fit."""
    positions, x, y = [], LEFT, 16
    for item in series:
        width = 40 + 7 * len(_legend_name(item.name))
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, y = LEFT, y + LEGEND_ROW
        positions.append((x, y))
        x += width
    return positions


def _legend(series: Sequence[Series], lines: bool) -> list[Markup]:
    parts = []
    for index, (item, (x, y)) in enumerate(zip(series, _legend_positions(series), strict=True)):
        colour = PALETTE[index % len(PALETTE)]
        if lines:
            parts.append(Markup('<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="3" '
                                'stroke-dasharray="{}"/>').format(x, x + 22, y, y, colour,
                                                                  DASHES[index % len(DASHES)] or "none"))
        else:
            parts.append(Markup('<rect x="{}" y="{}" width="12" height="12" fill="{}"/>').format(x + 6, y - 6, colour))
        parts.append(Markup('<text x="{}" y="{}">{}</text>').format(x + 28, y + 4, _legend_name(item.name)))
    return parts


def _frame(categories: Sequence[str], series: Sequence[Series], y_max: float | None, rotate: bool) -> _Frame:
    values = [v for s in series for v in s.values if v is not None]
    top = y_max if y_max is not None else nice_ceiling(max(values, default=0.0))
    legend_bottom = max((y for _, y in _legend_positions(series)), default=16)
    return _Frame(categories=list(categories), y_max=top, bottom=130 if rotate else 66, top=legend_bottom + 28)


def line_chart(categories: Sequence[str], series: Sequence[Series], *, title: str, description: str,
               x_label: str, y_label: str, chart_id: str, y_max: float | None = None,
               fmt: Callable[[float], str] = decimal) -> Markup:
    """One line per series over the categories (months); a missing value (None) leaves a gap."""
    chart_id = _chart_id(chart_id)
    frame = _frame(categories, series, y_max, rotate=False)
    parts = _open(chart_id, frame, title, description) + _axes(frame, fmt, x_label, y_label, rotate=False)
    for index, item in enumerate(series):
        colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)] or "none"
        runs: list[list[tuple[float, float]]] = [[]]
        points = []
        for position, value in enumerate(item.values):
            if value is None:
                runs.append([])
                continue
            left, width = frame.slot(position)
            x, y = left + width / 2, frame.y(value)
            runs[-1].append((x, y))
            points.append(Markup('<circle cx="{:.1f}" cy="{:.1f}" r="3.5" fill="{}"><title>{}, {}: {}</title>'
                                 '</circle>').format(x, y, colour, item.name, categories[position], fmt(value)))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(Markup('<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" '
                                    'stroke-dasharray="{}"/>').format(path, colour, dash))
        parts.extend(points)
    parts += _legend(series, lines=True)
    parts.append(Markup("</svg>"))
    return Markup("\n").join(parts)


def bar_chart(categories: Sequence[str], series: Sequence[Series], *, title: str, description: str,
              x_label: str, y_label: str, chart_id: str, y_max: float | None = None,
              fmt: Callable[[float], str] = decimal, rotate_labels: bool = False) -> Markup:
    """Grouped bars: one group per category, one bar per series; a missing value draws no bar."""
    chart_id = _chart_id(chart_id)
    frame = _frame(categories, series, y_max, rotate=rotate_labels)
    parts = _open(chart_id, frame, title, description) + _axes(frame, fmt, x_label, y_label, rotate_labels)
    count = max(len(series), 1)
    for position, category in enumerate(categories):
        left, width = frame.slot(position)
        bar_width = width * 0.8 / count
        for index, item in enumerate(series):
            value = item.values[position] if position < len(item.values) else None
            if value is None:
                continue
            y = frame.y(value)
            x = left + width * 0.1 + index * bar_width
            parts.append(Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                                '<title>{}, {}: {}</title></rect>').format(
                x, y, max(bar_width - 1, 1), max(frame.y(0) - y, 0), PALETTE[index % len(PALETTE)],
                item.name, category, fmt(value)))
    parts += _legend(series, lines=False)
    parts.append(Markup("</svg>"))
    return Markup("\n").join(parts)
