"""Scoring who should meet whom, on a MatchingGraph, with the evidence reasons are written from.

For one subject (the person we recommend for): candidates come from the random walk's visits,
the 2-hop neighbourhood through contacts, and the carriers of the subject's needs, offers and
interests. Each candidate gets
  complementarity  the subject's needs met by the candidate's (or their company's) offers, and back
  similarity       shared skills, interests and forum topics (rarer tags weigh more)
  social           random-walk-with-restart mass, mutual connections and forum contacts
  activity         how much the candidate takes part in the forums (a prior: active people answer)
combined and multiplied by a bridging factor that favours other companies and regions than the
subject's own circle (a mesh, not hub-and-spoke) and slightly lowers the ecosystem owner's staff.

Per request the work is local: a few thousand walk steps, then per candidate only lookups of the
subject's own tags and contacts in the candidate's adjacency (never a scan of a hub's neighbours).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from portal.matching.graph import COMPANY, CONNECTIONS_LEVEL, PERSON, TAG, MatchingGraph, Node, idf

COMPANY_TAG_FACTOR = 0.7  # a company's offer is a slightly weaker promise than a person's own
@dataclass(frozen=True)
class Breadth:
    """How widely candidates are gathered. One person's page affords the wide search; the broker's
    ecosystem-wide batch repeats it for every person and takes a narrower one (a fifth of the work)."""

    contacts: int = 200  # contacts whose contacts become candidates (a hub's strongest ones)
    per_source: int = 150  # candidates taken from one contact or one tag
    likes: int = 25  # interest tags used to find candidates (the rarest first)


WIDE, NARROW = Breadth(), Breadth(contacts=40, per_source=50, likes=12)
MAX_MUTUALS = 100  # contacts looked up for mutual counts
SHORTLIST = 200  # candidates scored exactly, the best by pre-score


@dataclass(frozen=True)
class Weights:
    """How the parts combine; `evaluate` reports how these do against baselines."""

    complement: float = 1.5
    similarity: float = 1.5
    social: float = 0.8
    activity: float = 0.1
    walk_steps: int = 2000
    restart: float = 0.3
    mutual_scale: float = 2.0  # Adamic-Adar weighted common contacts (1/log degree of each)
    walk_scale: float = 10.0  # share of walk visits
    activity_scale: float = 10.0
    similarity_scale: float = 4.0
    complement_scale: float = 3.0


DEFAULT_WEIGHTS = Weights()


@dataclass
class Subject:
    """What we know about the person we recommend for, from the graph."""

    person_id: int
    company: int | None
    region: str
    needs: dict[int, tuple[float, str]] = field(default_factory=dict)  # tag → (weight, "you"|"company")
    offers: dict[int, tuple[float, str]] = field(default_factory=dict)
    likes: dict[int, tuple[float, str]] = field(default_factory=dict)  # tag → (weight, kind skill|interest|topic)
    connections: set[int] = field(default_factory=set)
    contacts: dict[int, float] = field(default_factory=dict)  # forum contacts → interaction weight
    contact_companies: set[int] = field(default_factory=set)


@dataclass
class Match:
    """One candidate's score and the evidence behind it."""

    candidate_id: int
    score: float = 0.0
    # (they_offer|they_need, tag, whose on their side person|company, whose on the subject's side you|company)
    complement: list[tuple[str, int, str, str]] = field(default_factory=list)
    shared: list[tuple[int, str]] = field(default_factory=list)  # (tag, kind)
    mutual_connections: list[int] = field(default_factory=list)
    mutual_contacts: list[int] = field(default_factory=list)
    visits: int = 0
    closeness: float = 0.0  # common contacts, each weighted 1/log(its degree) like Adamic-Adar
    activity: float = 0.0
    other_company: bool = False
    other_region: bool = False
    parts: dict[str, float] = field(default_factory=dict)


def _visible(level: str, own: bool) -> bool:
    return own or level != CONNECTIONS_LEVEL


def subject_of(graph: MatchingGraph, person_id: int, *, own: bool = True) -> Subject | None:
    """The subject's tags, contacts and circle. `own=False` when someone else looks: then the
    subject's connections-only fields are left out too."""
    node = (PERSON, person_id)
    if not graph.has(node):
        return None
    attrs = graph.node(node)
    subject = Subject(person_id, attrs.get("company"), attrs.get("region") or "")
    for other, data in graph.neighbours(node):
        kind = other[0]
        if kind == TAG:
            for tag_kind, level in data.get("kinds", {}).items():
                if not _visible(level, own):
                    continue
                if tag_kind == "need":
                    subject.needs[other[1]] = (1.0, "you")
                elif tag_kind == "offer":
                    subject.offers[other[1]] = (1.0, "you")
                else:
                    _like(subject, other[1], 1.0, tag_kind)
            if data.get("topic"):
                _like(subject, other[1], data["topic"], "topic")
        elif kind == PERSON:
            if data.get("conn"):
                subject.connections.add(other[1])
            if data.get("inter"):
                subject.contacts[other[1]] = data["inter"]
    if subject.company is not None:
        for other, data in graph.neighbours((COMPANY, subject.company)):
            if other[0] != TAG:
                continue
            for tag_kind in data.get("kinds", {}):
                target = subject.needs if tag_kind == "need" else subject.offers
                target.setdefault(other[1], (COMPANY_TAG_FACTOR, "company"))
    for pid in subject.connections | set(subject.contacts):
        company = graph.node((PERSON, pid)).get("company")
        if company is not None:
            subject.contact_companies.add(company)
    return subject


def _like(subject: Subject, tag_id: int, weight: float, kind: str) -> None:
    current = subject.likes.get(tag_id)
    if current is None or weight > current[0]:
        subject.likes[tag_id] = (weight, kind)


class _IdfCache(dict):
    def __init__(self, graph: MatchingGraph, people: int) -> None:
        super().__init__()
        self.graph, self.people = graph, people

    def __missing__(self, tag_id: int) -> float:
        value = self[tag_id] = idf(self.graph, (TAG, tag_id), self.people)
        return value


def _sample(graph: MatchingGraph, node: Node, cap: int, rng: random.Random) -> list[Node]:
    """Up to `cap` neighbours that a walk may follow (connections-only tag edges never qualify)."""
    nbrs, _ = graph._arrays_of(node)
    return _window(nbrs, cap, rng)


def _window(items: list[Node], cap: int, rng: random.Random) -> list[Node]:
    """Up to `cap` of `items`: a window at a random offset (wrapping), so each item is taken with the
    same chance cap/len like a uniform sample, at the cost of one slice instead of `cap` draws."""
    if len(items) <= cap:
        return items
    start = rng.randrange(len(items))
    window = items[start:start + cap]
    if len(window) < cap:
        window = window + items[:cap - len(window)]
    return window


def _has(data: dict | None, kind: str) -> bool:
    """Whether an edge carries a tag kind that members may see."""
    kinds = data.get("kinds") if data else None
    return bool(kinds) and kinds.get(kind) not in (None, CONNECTIONS_LEVEL)


def gather(graph: MatchingGraph, subject: Subject, visits: dict[Node, int], rng: random.Random,
           idf_of: _IdfCache, breadth: Breadth = WIDE) -> dict[int, float]:
    """Candidates with a cheap pre-score, found from the subject's side: walk visits, contacts'
    contacts and carriers of matching tags (each source sampled, so a hub tag costs no more than a
    rare one). The exact score is computed only for the best of these."""
    pre: dict[int, float] = defaultdict(float)
    for node, count in visits.items():
        if node[0] == PERSON:
            pre[node[1]] += count / 20.0
    for pid in islice(_strongest(subject), breadth.contacts):
        for other in _sample(graph, (PERSON, pid), breadth.per_source, rng):
            if other[0] == PERSON:
                pre[other[1]] += 1.0
    for mine, theirs in ((subject.needs, "offer"), (subject.offers, "need")):
        for tag_id in mine:
            tag = (TAG, tag_id)
            weight = 2.0 * idf_of[tag_id]
            for other in _window(graph.carriers(tag, theirs), breadth.per_source, rng):
                if other[0] == PERSON:
                    pre[other[1]] += weight
                elif other[0] == COMPANY:
                    for member in _sample(graph, other, 20, rng):
                        if member[0] == PERSON:
                            pre[member[1]] += COMPANY_TAG_FACTOR * weight
    for tag_id in _rarest(graph, subject.likes, breadth.likes):
        weight = 0.5 * idf_of[tag_id]
        for other in _sample(graph, (TAG, tag_id), breadth.per_source, rng):
            if other[0] == PERSON:
                pre[other[1]] += weight
    nodes = graph.g._node  # the plain dict: NodeView lookups were a tenth of a broker batch
    for pid in pre:
        attrs = nodes.get((PERSON, pid))
        if attrs is not None:
            pre[pid] += 0.3 * math.log1p(attrs.get("act", 0.0))
    return pre


def _strongest(subject: Subject) -> list[int]:
    ranked = sorted(subject.contacts, key=lambda pid: (-subject.contacts[pid], pid))
    return sorted(subject.connections) + [pid for pid in ranked if pid not in subject.connections]


def _rarest(graph: MatchingGraph, tags: dict, limit: int) -> list[int]:
    return sorted(tags, key=lambda tag_id: graph.degree((TAG, tag_id)))[:limit]


def score_people(graph: MatchingGraph, subject: Subject, *, exclude: set[int] = frozenset(),
                 weights: Weights = DEFAULT_WEIGHTS, seed: int | None = None, walk: bool = True,
                 candidates: set[int] | None = None, shortlist: int = SHORTLIST,
                 breadth: Breadth = WIDE) -> list[Match]:
    """The best candidates' Matches, best first (about `shortlist` of them: callers filter, then cut).
    With `candidates`, exactly those are scored."""
    rng = random.Random(subject.person_id if seed is None else seed)
    start = (PERSON, subject.person_id)
    visits = (graph.random_walk_visits(start, steps=weights.walk_steps, restart=weights.restart,
                                       seed=rng.randrange(1 << 30)) if walk else {})
    idf_of = _IdfCache(graph, max(1, graph.people))
    if candidates is None:
        pre = gather(graph, subject, visits, rng, idf_of, breadth)
        for pid in exclude:
            pre.pop(pid, None)
        pre.pop(subject.person_id, None)
        candidates = set(heapq.nlargest(shortlist, pre, key=pre.__getitem__))
    else:
        candidates = set(candidates) - set(exclude) - {subject.person_id}
    contact_nodes = [(PERSON, pid) for pid in islice(_strongest(subject), MAX_MUTUALS)]
    contact_weight = {node: 1.0 / math.log(2.0 + graph.degree(node)) for node in contact_nodes}
    contact_rank = {node: rank for rank, node in enumerate(contact_nodes)}
    company_adj: dict[int, dict] = {}
    matches = []
    for pid in candidates:
        node = (PERSON, pid)
        adj = graph.g._adj.get(node)
        if adj is None:
            continue
        attrs = graph.g.nodes[node]
        match = Match(pid, visits=visits.get(node, 0), activity=attrs.get("act", 0.0))
        company = attrs.get("company")
        cadj = None
        if company is not None:
            cadj = company_adj.get(company)
            if cadj is None:
                cadj = company_adj[company] = graph.g._adj.get((COMPANY, company), {})
        comp = _complement(subject, adj, cadj, idf_of, match)
        sim = _similar(subject, adj, idf_of, match)
        # One set intersection in C instead of a lookup per contact and candidate; strongest first.
        for other in sorted(adj.keys() & contact_rank, key=contact_rank.__getitem__):
            data = adj[other]
            if data.get("conn") and other[1] in subject.connections:
                match.mutual_connections.append(other[1])
            elif data.get("inter") or data.get("conn"):
                match.mutual_contacts.append(other[1])
            else:
                continue
            match.closeness += contact_weight[other]
        match.other_company = company is not None and company != subject.company \
            and company not in subject.contact_companies
        region = attrs.get("region") or ""
        match.other_region = bool(region and subject.region and region != subject.region)
        _combine(match, comp, sim, weights, pid in graph.staff, company is not None and company == subject.company,
                 walk_steps=weights.walk_steps if walk else 0)
        matches.append(match)
    matches.sort(key=lambda m: (-m.score, m.candidate_id))
    return matches


def _complement(subject: Subject, adj: dict, cadj: dict | None, idf_of: _IdfCache, match: Match) -> float:
    total = 0.0
    for mine, theirs, label in ((subject.needs, "offer", "they_offer"), (subject.offers, "need", "they_need")):
        for tag_id, (weight, via) in mine.items():
            tag = (TAG, tag_id)
            if _has(adj.get(tag), theirs):
                total += weight * idf_of[tag_id]
                match.complement.append((label, tag_id, "person", via))
            elif cadj is not None and _has(cadj.get(tag), theirs):
                total += weight * COMPANY_TAG_FACTOR * idf_of[tag_id]
                match.complement.append((label, tag_id, "company", via))
    return total


def _similar(subject: Subject, adj: dict, idf_of: _IdfCache, match: Match) -> float:
    total = 0.0
    for tag_id, (weight, kind) in subject.likes.items():
        data = adj.get((TAG, tag_id))
        if not data:
            continue
        theirs = data.get("topic", 0.0)
        if _has(data, "skill") or _has(data, "interest"):
            theirs = max(theirs, 1.0)
        if theirs <= 0:
            continue
        total += math.sqrt(weight * theirs) * idf_of[tag_id]
        match.shared.append((tag_id, "topic" if data.get("topic") and kind == "topic" else kind))
    return total


def _combine(match: Match, comp: float, sim: float, weights: Weights, staff: bool, colleague: bool,
             walk_steps: int) -> None:
    social_raw = weights.mutual_scale * match.closeness
    if walk_steps:
        social_raw += weights.walk_scale * match.visits / walk_steps
    parts = {
        "complement": 1 - math.exp(-comp / weights.complement_scale),
        "similarity": 1 - math.exp(-sim / weights.similarity_scale),
        "social": 1 - math.exp(-social_raw),
        "activity": 1 - math.exp(-match.activity / weights.activity_scale),
    }
    base = (weights.complement * parts["complement"] + weights.similarity * parts["similarity"]
            + weights.social * parts["social"] + weights.activity * parts["activity"])
    bridge = 1.0 + (0.15 if match.other_company else 0.0) + (0.05 if match.other_region else 0.0)
    if staff:
        bridge *= 0.85  # the owner's staff are hubs everyone reaches already
    if colleague:
        bridge *= 0.85  # colleagues meet anyway; introductions should cross companies
    match.parts = parts
    match.score = round(base * bridge, 4)
