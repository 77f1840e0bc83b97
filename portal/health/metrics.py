"""How mesh-like one period of the ecosystem is: pure computations over plain ids (no database).

Definitions (the health page repeats them in words):
- An interaction (reply, mention, accepted answer, reaction) between two people is
    *owner*   when either of them is on the owner's staff (owner company members, ecosystem admins),
    *within*  otherwise, when both belong to the same company,
    *peer*    otherwise: peer to peer across companies (people without a company count as a company of one).
- Segments: an interaction counts in the segment of its **actor's** company (who replied, mentioned,
  accepted or reacted); a person-level number (activity, clustering, degree, isolation) counts in the
  segment of the person's own company; an introduction counts in the segments of both people introduced.
- Cross-company tie density: distinct pairs of partners (not owner staff) from different companies who
  interacted or connected in the period, divided by all such pairs possible among the partners active
  in the period (who interacted or connected). For a segment: pairs with at least one side in it.
- Clustering and degree concentration are those of the period's interaction graph (undirected, one
  edge per pair that interacted), over the people active in it: the average clustering coefficient
  (NetworkX) and the Gini coefficient of their degrees (0: everyone has as many partners, 1: one hub).
- Isolated members: partners (not owner staff) who had joined by the period's end, had no interaction
  in the period and had no connection at all by its end.
- Introduction acceptance rate: of the introductions created in the period that are decided
  (accepted, declined or expired), the share accepted; pending and withdrawn ones are left out.
- Mesh score (0-100) = 100 x (0.5 x P + 0.25 x (1 - Gini) + 0.25 x (1 - isolated share)), where P is the
  share of cross-company interactions that are peer to peer rather than through the owner's staff.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx

PEER, OWNER, WITHIN = "peer", "owner", "within"
DECIDED = {"accepted", "declined", "expired"}


@dataclass(frozen=True)
class Population:
    """Who is who: each person's company (None: no company), the owner's staff, when people joined."""

    company_of: Mapping[int, int | None]
    owner_staff: frozenset[int]
    joined_at: Mapping[int, datetime]


@dataclass
class PeriodMetrics:
    """The numbers of one period (a month or the whole window) for one segment."""

    interactions: int = 0
    peer: int = 0
    owner: int = 0
    within: int = 0
    active_people: int = 0
    cross_company_ties: int = 0
    possible_cross_company_pairs: int = 0
    avg_clustering: float | None = None
    degree_gini: float | None = None
    members: int = 0
    isolated: int = 0
    introductions_decided: int = 0
    introductions_accepted: int = 0
    degrees: list[int] = field(default_factory=list, repr=False)

    @staticmethod
    def _ratio(part: float, whole: float) -> float | None:
        return part / whole if whole else None

    @property
    def peer_share(self) -> float | None:
        return self._ratio(self.peer, self.interactions)

    @property
    def owner_share(self) -> float | None:
        return self._ratio(self.owner, self.interactions)

    @property
    def within_share(self) -> float | None:
        return self._ratio(self.within, self.interactions)

    @property
    def tie_density(self) -> float | None:
        return self._ratio(self.cross_company_ties, self.possible_cross_company_pairs)

    @property
    def isolated_share(self) -> float | None:
        return self._ratio(self.isolated, self.members)

    @property
    def acceptance_rate(self) -> float | None:
        return self._ratio(self.introductions_accepted, self.introductions_decided)

    @property
    def mesh_score(self) -> float | None:
        """0-100; None without any cross-company interaction to judge by."""
        cross = self.peer + self.owner
        if not cross:
            return None
        gini = self.degree_gini or 0.0
        isolated = self.isolated_share or 0.0
        return 100.0 * (0.5 * self.peer / cross + 0.25 * (1.0 - gini) + 0.25 * (1.0 - isolated))


def classify(population: Population, actor: int, target: int) -> str:
    """owner, within or peer (see the module docstring)."""
    if actor in population.owner_staff or target in population.owner_staff:
        return OWNER
    company = population.company_of.get(actor)
    if company is not None and company == population.company_of.get(target):
        return WITHIN
    return PEER


def gini(values: Sequence[float]) -> float | None:
    """Gini coefficient of non-negative values (0: all equal; towards 1: one holds everything)."""
    if not values:
        return None
    ordered = sorted(values)
    total = sum(ordered)
    if total <= 0:
        return 0.0
    n = len(ordered)
    weighted = sum(rank * value for rank, value in enumerate(ordered, start=1))
    return 2.0 * weighted / (n * total) - (n + 1.0) / n


def cross_company_pairs(people: Iterable[int], company_of: Mapping[int, int | None]) -> int:
    """How many unordered pairs of `people` belong to different companies (no company: a company of one)."""
    sizes = Counter(company_of.get(p) for p in people)
    n = sum(sizes.values())
    same = sum(size * (size - 1) // 2 for company, size in sizes.items() if company is not None)
    return n * (n - 1) // 2 - same


def period_metrics(population: Population, labels_of: Mapping[int, tuple[str, ...]], *,
                   interactions: Iterable[tuple[int, int]], new_connections: Iterable[tuple[int, int]],
                   connected: set[int], end: datetime,
                   outcomes: Iterable[tuple[int, int, str]] = ()) -> dict[str, PeriodMetrics]:
    """Metrics of one period for every label a person carries (e.g. ("All members", "Retail")).

    interactions: (actor, target) pairs of the period; new_connections: pairs connected in it;
    connected: everyone with a connection made before `end`; outcomes: (a, b, status) of the
    introductions created in it. People missing from `labels_of` count in no segment.
    """
    result: dict[str, PeriodMetrics] = defaultdict(PeriodMetrics)
    no_labels: tuple[str, ...] = ()
    graph = nx.Graph()
    for actor, target in interactions:
        kind = classify(population, actor, target)
        for label in labels_of.get(actor, no_labels):
            metrics = result[label]
            metrics.interactions += 1
            setattr(metrics, kind, getattr(metrics, kind) + 1)
        graph.add_edge(actor, target)

    _tie_density(population, labels_of, graph, new_connections, result)

    clustering = nx.clustering(graph) if graph.number_of_nodes() else {}
    per_label_nodes: dict[str, list[int]] = defaultdict(list)
    for node in graph.nodes:
        for label in labels_of.get(node, no_labels):
            per_label_nodes[label].append(node)
    for label, nodes in per_label_nodes.items():
        metrics = result[label]
        metrics.active_people = len(nodes)
        metrics.degrees = [graph.degree[n] for n in nodes]
        metrics.degree_gini = gini(metrics.degrees)
        metrics.avg_clustering = sum(clustering[n] for n in nodes) / len(nodes)

    for person, joined in population.joined_at.items():
        if person in population.owner_staff or joined >= end:
            continue
        isolated = person not in graph and person not in connected
        for label in labels_of.get(person, no_labels):
            metrics = result[label]
            metrics.members += 1
            metrics.isolated += isolated

    for a, b, status in outcomes:
        if status not in DECIDED:
            continue
        for label in set(labels_of.get(a, no_labels)) | set(labels_of.get(b, no_labels)):
            metrics = result[label]
            metrics.introductions_decided += 1
            metrics.introductions_accepted += status == "accepted"
    return dict(result)


def _tie_density(population: Population, labels_of: Mapping[int, tuple[str, ...]], graph: nx.Graph,
                 new_connections: Iterable[tuple[int, int]], result: dict[str, PeriodMetrics]) -> None:
    """Cross-company partner ties of the period and the pairs possible among its active partners."""
    staff, company_of = population.owner_staff, population.company_of
    ties: set[tuple[int, int]] = set()
    for a, b in [*graph.edges, *new_connections]:
        if a in staff or b in staff or a == b:
            continue
        if company_of.get(a) is not None and company_of.get(a) == company_of.get(b):
            continue
        ties.add((min(a, b), max(a, b)))
    active = {p for p in graph.nodes if p not in staff}
    active.update(p for pair in ties for p in pair)
    by_label: dict[str, set[int]] = defaultdict(set)
    for person in active:
        for label in labels_of.get(person, ()):
            by_label[label].add(person)
    for a, b in ties:
        for label in set(labels_of.get(a, ())) | set(labels_of.get(b, ())):
            result[label].cross_company_ties += 1
    all_pairs = cross_company_pairs(active, company_of)
    for label, members in by_label.items():
        # Pairs with at least one side in the segment = all pairs - pairs entirely outside it.
        outside = cross_company_pairs(active - members, company_of)
        result[label].possible_cross_company_pairs = all_pairs - outside
