"""Companies to partner with: complementary offers and needs, people you know there, the walk.

Candidates: companies the random walk reached, companies that offer what the subject (or their
company) needs or need what they offer, and employers of the subject's contacts. The subject's
own company is never a candidate.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict

from portal.matching.graph import COMPANY, PERSON, TAG, MatchingGraph, idf
from portal.matching.recommend import DEFAULT_WEIGHTS, Subject, _has, _sample


def score_companies(graph: MatchingGraph, subject: Subject, *, exclude: set[int] = frozenset(),
                    seed: int | None = None) -> list[tuple[int, float, dict]]:
    """(company id, score, evidence) best first; evidence feeds reasons.company_reasons."""
    rng = random.Random(subject.person_id if seed is None else seed)
    steps = DEFAULT_WEIGHTS.walk_steps
    visits = graph.random_walk_visits((PERSON, subject.person_id), steps=steps,
                                      restart=DEFAULT_WEIGHTS.restart, seed=rng.randrange(1 << 30))
    evidence: dict[int, dict] = defaultdict(lambda: {"they_offer": [], "they_need": [], "contacts": []})
    comp: dict[int, float] = defaultdict(float)
    people = max(1, graph.people)
    adj = graph.g._adj
    for mine, theirs, label in ((subject.needs, "offer", "they_offer"), (subject.offers, "need", "they_need")):
        for tag_id, (weight, _via) in mine.items():
            tag = (TAG, tag_id)
            carriers = adj.get(tag, {})
            rarity = idf(graph, tag, people)
            for other in _sample(graph, tag, 300, rng):
                if other[0] == COMPANY and _has(carriers.get(other), theirs):
                    evidence[other[1]][label].append(tag_id)
                    comp[other[1]] += weight * rarity
    for pid in list(subject.connections) + list(subject.contacts):
        company = graph.node((PERSON, pid)).get("company")
        if company is not None:
            evidence[company]["contacts"].append(pid)
    for node in visits:
        if node[0] == COMPANY:
            evidence[node[1]]  # noqa: B018 - touching the defaultdict makes it a candidate
    results = []
    for company_id, found in evidence.items():
        if company_id == subject.company or company_id in exclude or not graph.has((COMPANY, company_id)):
            continue
        region = graph.node((COMPANY, company_id)).get("region") or ""
        found["other_region"] = bool(region and subject.region and region != subject.region)
        social = 1 - math.exp(-(1.0 * len(found["contacts"]) + 40.0 * visits.get((COMPANY, company_id), 0) / steps))
        score = (1 - math.exp(-comp[company_id] / 3.0)) + 0.6 * social
        score *= 1.1 if found["other_region"] else 1.0
        if company_id in graph.staff_companies:
            score *= 0.85  # the owner is everyone's partner already
        results.append((company_id, round(score, 4), found))
    results.sort(key=lambda item: (-item[1], item[0]))
    return results
