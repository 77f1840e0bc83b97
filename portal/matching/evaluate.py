"""Offline evaluation: does the engine predict who will interact next better than simple baselines?

Train on everything before DATE (the graph is built with `until=DATE`: interactions, forum topics,
connections and people created before it). The truth is the NEW person-to-person interaction pairs
after DATE: both people active before DATE, the pair not interacting before. For every person with
at least one such pair each method ranks the people active before DATE (minus oneself and those
they already interacted with) and we measure precision@k and recall@k, averaged over those people.

Baselines: random (seeded), popularity (most interactions before DATE) and Adamic-Adar on the
person-person graph of interactions and connections before DATE.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from portal.matching.graph import PERSON
from portal.matching.recommend import DEFAULT_WEIGHTS, Weights, score_people, subject_of
from portal.matching.sources import build_graph

METHODS = ("engine", "random", "popularity", "adamic_adar")


@dataclass
class Result:
    method: str
    precision: float
    recall: float


@dataclass
class Evaluation:
    before: datetime
    k: int
    people: int  # people with new pairs after `before`
    pairs: int  # new pairs after `before`
    results: list[Result]

    def as_dict(self) -> dict:
        return {"before": self.before.isoformat(), "k": self.k, "people": self.people, "pairs": self.pairs,
                "results": {r.method: {"precision": round(r.precision, 4), "recall": round(r.recall, 4)}
                            for r in self.results}}


def _pairs(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> set[tuple[int, int]]:
    from portal.forums.interactions import person_interactions

    return {(min(i.actor_id, i.target_id), max(i.actor_id, i.target_id))
            for i in person_interactions(session, since=since, until=until, include_groups=False)}


def _active_before(session: Session, before: datetime, pairs: set[tuple[int, int]]) -> set[int]:
    from portal.forums.interactions import person_topics

    active = {pid for pair in pairs for pid in pair}
    active |= {use.person_id for use in person_topics(session, until=before, include_groups=False)}
    return active


def evaluate(session: Session, before: datetime, *, k: int = 10, seed: int = 7,
             weights: Weights = DEFAULT_WEIGHTS) -> Evaluation:
    from portal.profiles.graph_export import connection_rows

    past = _pairs(session, until=before)
    active = _active_before(session, before, past)
    future = {pair for pair in _pairs(session, since=before) if pair not in past
              and pair[0] in active and pair[1] in active}
    truth: dict[int, set[int]] = defaultdict(set)
    for a, b in future:
        truth[a].add(b)
        truth[b].add(a)
    known: dict[int, set[int]] = defaultdict(set)
    for a, b in past:
        known[a].add(b)
        known[b].add(a)
    social: dict[int, set[int]] = defaultdict(set)  # for Adamic-Adar: interactions and connections
    for a, b in past | {(a, b) for a, b, _ in connection_rows(session, until=before)}:
        social[a].add(b)
        social[b].add(a)
    activity: dict[int, int] = defaultdict(int)
    from portal.forums.interactions import person_interactions
    for item in person_interactions(session, until=before, include_groups=False):
        activity[item.actor_id] += 1
        activity[item.target_id] += 1

    graph = build_graph(session, until=before)
    universe = sorted(active)
    rng = random.Random(seed)
    # The engine's random walks are seeded by each person's place among the active people, not by
    # the id itself: ids differ from one database to the next (PostgreSQL sequences are not rolled
    # back), and the evaluation must score the same data the same way everywhere.
    place = {pid: number for number, pid in enumerate(universe)}
    rankers = {
        "engine": lambda pid, pool: _engine(graph, pid, pool, k, weights, seed=seed + place[pid]),
        "random": lambda pid, pool: rng.sample(sorted(pool), min(k, len(pool))),
        "popularity": lambda pid, pool: sorted(pool, key=lambda c: (-activity.get(c, 0), c))[:k],
        "adamic_adar": lambda pid, pool: _adamic_adar(social, pid, pool, k),
    }
    totals = {method: [0.0, 0.0] for method in METHODS}
    for pid in sorted(truth):
        pool = set(universe) - {pid} - known[pid]
        for method in METHODS:
            ranked = rankers[method](pid, pool)[:k]
            hits = len(set(ranked) & truth[pid])
            totals[method][0] += hits / k
            totals[method][1] += hits / len(truth[pid])
    n = max(1, len(truth))
    results = [Result(method, totals[method][0] / n, totals[method][1] / n) for method in METHODS]
    return Evaluation(before, k, len(truth), len(future), results)


def _engine(graph, pid: int, pool: set[int], k: int, weights: Weights, *, seed: int) -> list[int]:
    subject = subject_of(graph, pid, own=True)
    if subject is None:
        return []
    ranked = [m.candidate_id for m in score_people(graph, subject, exclude=set(), shortlist=400, weights=weights,
                                                   seed=seed) if m.candidate_id in pool]
    if len(ranked) < k:  # too few reachable candidates: fill with the most active of the rest
        rest = sorted(pool - set(ranked), key=lambda c: (-graph.node((PERSON, c)).get("act", 0.0), c))
        ranked += rest[:k - len(ranked)]
    return ranked


def _adamic_adar(social: dict[int, set[int]], pid: int, pool: set[int], k: int) -> list[int]:
    scores: dict[int, float] = defaultdict(float)
    for middle in social.get(pid, ()):
        degree = len(social[middle])
        if degree < 2:
            continue
        weight = 1.0 / math.log(degree)
        for other in social[middle]:
            if other in pool:
                scores[other] += weight
    return sorted(scores, key=lambda c: (-scores[c], c))[:k]
