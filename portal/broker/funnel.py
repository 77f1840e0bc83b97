"""Geometry of the pipeline funnel, drawn as server-side SVG (no JavaScript, CSP-safe).

One centred bar per stage, its width proportional to the stage's count; the template turns
the numbers into <rect> and <text> elements. The table next to it carries the same numbers for
screen readers, so the SVG is a labelled image only.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
BAR_HEIGHT = 44
GAP = 10
LABEL_WIDTH = 130
MIN_BAR = 4  # a stage with a few items keeps a visible sliver


@dataclass(frozen=True)
class FunnelBar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    text_y: float


@dataclass(frozen=True)
class Funnel:
    width: int
    height: int
    label_width: int
    bars: list[FunnelBar]


def funnel(stages) -> Funnel:
    """Bars for stages (objects with `label` and `count`), widest for the largest count."""
    area = WIDTH - LABEL_WIDTH
    largest = max((s.count for s in stages), default=0)
    bars = []
    for index, stage in enumerate(stages):
        width = area * stage.count / largest if largest else 0.0
        width = max(width, MIN_BAR) if stage.count else 0.0
        y = index * (BAR_HEIGHT + GAP)
        bars.append(FunnelBar(stage.label, stage.count, x=LABEL_WIDTH + (area - width) / 2, y=y, width=round(width, 1),
                              height=BAR_HEIGHT, text_y=y + BAR_HEIGHT / 2 + 5))
    height = max(len(bars) * (BAR_HEIGHT + GAP) - GAP, 1)
    return Funnel(WIDTH, height, LABEL_WIDTH, bars)
