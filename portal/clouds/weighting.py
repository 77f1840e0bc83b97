"""How much a term weighs: recency (exponential decay) times distinctiveness (inverse document frequency).

Pure functions, so the ranking rules are tested without a database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

HALF_LIFE_DAYS = 180.0
# Anchor of the stored weights: a post's weight is multiplied by 2^((date − EPOCH) / half-life) once,
# when stored; reading multiplies everything by 2^(−(now − EPOCH) / half-life).
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_MAX_EXPONENT = 900.0  # 2^±900 stays a finite double: dates from year 1580 to 2470
PROFILE_TAG_WEIGHT = 3.0  # a tag on the profile counts like three fresh mentions; profiles do not age
STEPS = 5


def _half_lives_since_epoch(when: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    exponent = (when - EPOCH).total_seconds() / 86400.0 / HALF_LIFE_DAYS
    return max(-_MAX_EXPONENT, min(_MAX_EXPONENT, exponent))


def anchored(when: datetime) -> float:
    """The factor a contribution made at `when` is stored with."""
    return 2.0 ** _half_lives_since_epoch(when)


def decay_factor(now: datetime) -> float:
    """Multiply stored (anchored) forum weights by this to get today's weights."""
    return 2.0 ** -_half_lives_since_epoch(now)


def idf(people_using: int, people_total: int) -> float:
    """Inverse document frequency with people as the documents: a term everyone uses weighs ~1,
    one that only a few use weighs up to ln(N) + 1."""
    people_using = max(0, min(people_using, people_total))
    return math.log((people_total + 1) / (people_using + 1)) + 1.0


def damped(weight_now: float) -> float:
    """Sub-linear term frequency: a term used a hundred times is ten times, not a hundred times, as telling.

    A power rather than a logarithm, because it keeps ratios whatever the scale: a person who wrote
    nothing for years has tiny decayed weights, and log(1 + w) would be linear there (no damping)."""
    return math.sqrt(max(0.0, weight_now))


def tfidf(weight_now: float, people_using: int, people_total: int) -> float:
    return damped(weight_now) * idf(people_using, people_total)


@dataclass(frozen=True)
class CloudTerm:
    key: str
    label: str
    score: float
    step: int = 1  # 1 (smallest) … STEPS (largest)


def size_steps(scored: Iterable[tuple[str, str, float]], limit: int) -> list[CloudTerm]:
    """The `limit` strongest terms, each with a size step, in alphabetical order (as clouds are read).

    Steps spread on a logarithmic scale between the weakest and strongest shown term, so a cloud
    with one dominant term still has several visible sizes."""
    strongest = sorted((t for t in scored if t[2] > 0), key=lambda t: (-t[2], t[1].lower()))[:limit]
    if not strongest:
        return []
    logs = [math.log(t[2]) for t in strongest]
    low, high = min(logs), max(logs)
    terms = []
    for (key, label, score), log_score in zip(strongest, logs, strict=True):
        step = (STEPS + 1) // 2 if high == low else 1 + min(STEPS - 1, int((log_score - low) / (high - low) * STEPS))
        terms.append(CloudTerm(key=key, label=label, score=score, step=step))
    return sorted(terms, key=lambda t: (t.label.lower(), t.key))
