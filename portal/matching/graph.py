"""The ecosystem as one weighted heterogeneous graph (NetworkX) that recommendations walk.

Nodes are tuples: ("p", person id), ("c", company id), ("t", tag id). Edges carry what relates
the two ends, so that reasons can be told and visibility honoured; one undirected `nx.Graph`
edge per pair holds every relation between them:

  person–company   works: True                  (active membership only)
  person–person    conn: True                   (a mutual connection)
                   inter: float, n: int         (forum interactions, weighted per kind, decayed)
  person–tag       kinds: {kind: level}         (skill/interest/offer/need and their field's visibility level)
                   topic: float                 (wrote in threads with that tag, decayed)
  company–tag      kinds: {kind: "public"}      (company offers and needs)

Interaction weights decay exponentially with a configurable half-life, measured from the graph's
`reference` time (its build time). Weights of later events are > 1 relative to that reference,
which keeps every edge comparable without rewriting old edges as time passes; a rebuild resets it.

Tag edges whose field is visible to connections only never carry walk weight: recommendations are
shown to members who are not connected to the candidate, so those tags must not steer them.

Thread safety: every mutation holds `lock`; per-node neighbour arrays (for bisect sampling in random
walks) are built under the lock too and dropped when a node's edges change, so a reader never caches
a half-updated neighbourhood. Readers otherwise read plain dicts without the lock (single lookups are
atomic under the GIL) and use `neighbours()` snapshots when they iterate.
"""

from __future__ import annotations

import math
import random
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

import networkx as nx

PERSON, COMPANY, TAG = "p", "c", "t"
CONNECTIONS_LEVEL = "connections"
# Stronger signals of a working relationship weigh more: accepting someone's answer says their help
# solved a problem; a reaction is a light touch.
KIND_WEIGHTS = {"accepted_answer": 3.0, "reply": 2.0, "mention": 1.5, "reaction": 0.5}
TAG_KIND_WEIGHTS = {"offer": 1.0, "need": 1.0, "skill": 0.7, "interest": 0.5}
WORKS_AT_WEIGHT = 1.0
CONNECTION_WEIGHT = 2.0
DEFAULT_HALF_LIFE_DAYS = 180.0

Node = tuple[str, int]


def walk_weight(data: dict) -> float:
    """How strongly a random walk follows this edge."""
    weight = 0.0
    if data.get("works"):
        weight += WORKS_AT_WEIGHT
    if data.get("conn"):
        weight += CONNECTION_WEIGHT
    weight += data.get("inter", 0.0) + data.get("topic", 0.0)
    for kind, level in data.get("kinds", {}).items():
        if level != CONNECTIONS_LEVEL:
            weight += TAG_KIND_WEIGHTS.get(kind, 0.5)
    return weight


def _empty(data: dict) -> bool:
    return not (data.get("works") or data.get("conn") or data.get("inter") or data.get("topic")
                or data.get("kinds"))


class MatchingGraph:
    """The graph plus the bookkeeping that makes incremental updates idempotent."""

    def __init__(self, *, reference: datetime | None = None,
                 half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> None:
        self.g = nx.Graph()
        self.lock = threading.RLock()
        self.reference = reference or datetime.now(UTC)
        self.half_life_days = half_life_days
        self.staff: frozenset[int] = frozenset()  # the ecosystem owner's people
        self.staff_companies: frozenset[int] = frozenset()  # and the companies they work for
        self.built_at: datetime | None = None
        self.build_seconds = 0.0
        self._arrays: dict[Node, tuple[list[Node], list[float]]] = {}
        # tag node → {kind: nodes whose edge carries that kind, members-visible}; dropped with _arrays
        self._carriers: dict[Node, dict[str, list[Node]]] = {}
        # post id → its interactions as (actor, target, weight): what to take back when the post changes.
        self._post_contrib: dict[int, tuple[tuple[int, int, float], ...]] = {}
        self.people = 0  # person nodes, for tag rarity
        self.created_monotonic = time.time()

    # --- reading ---------------------------------------------------------------------------------

    def has(self, node: Node) -> bool:
        return node in self.g

    def node(self, node: Node) -> dict:
        return self.g.nodes[node] if node in self.g else {}

    def edge(self, u: Node, v: Node) -> dict:
        return self.g._adj.get(u, {}).get(v) or {}

    def neighbours(self, node: Node) -> list[tuple[Node, dict]]:
        """A snapshot of a node's neighbours and edge data, safe to iterate while others mutate."""
        with self.lock:
            adj = self.g._adj.get(node)
            return list(adj.items()) if adj else []

    def degree(self, node: Node) -> int:
        adj = self.g._adj.get(node)
        return len(adj) if adj else 0

    def decay(self, at: datetime) -> float:
        days = (self.reference - at).total_seconds() / 86400.0
        return 0.5 ** (days / self.half_life_days)

    def counts(self) -> dict[str, int]:
        kinds: dict[str, int] = defaultdict(int)
        for kind, _ in self.g.nodes:
            kinds[kind] += 1
        return {"people": kinds[PERSON], "companies": kinds[COMPANY], "tags": kinds[TAG],
                "edges": self.g.number_of_edges()}

    def person_ids(self) -> list[int]:
        return [key for kind, key in list(self.g.nodes) if kind == PERSON]

    # --- random walks ----------------------------------------------------------------------------

    def _arrays_of(self, node: Node) -> tuple[list[Node], list[float]]:
        arrays = self._arrays.get(node)
        if arrays is not None:
            return arrays
        with self.lock:
            nbrs: list[Node] = []
            cumulative: list[float] = []
            total = 0.0
            for other, data in self.g._adj.get(node, {}).items():
                weight = walk_weight(data)
                if weight > 0:
                    total += weight
                    nbrs.append(other)
                    cumulative.append(total)
            arrays = (nbrs, cumulative)
            self._arrays[node] = arrays
        return arrays

    def carriers(self, tag: Node, kind: str) -> list[Node]:
        """The people and companies whose edge to `tag` carries `kind` (offer, need, skill,
        interest) at a level members may see: the candidates a need or an offer points to."""
        by_kind = self._carriers.get(tag)
        if by_kind is None:
            with self.lock:
                by_kind = defaultdict(list)
                for other, data in self.g._adj.get(tag, {}).items():
                    for tag_kind, level in data.get("kinds", {}).items():
                        if level != CONNECTIONS_LEVEL:
                            by_kind[tag_kind].append(other)
                by_kind = dict(by_kind)
                self._carriers[tag] = by_kind
        return by_kind.get(kind, [])

    def random_walk_visits(self, start: Node, *, steps: int = 3000, restart: float = 0.3,
                           seed: int | None = None) -> dict[Node, int]:
        """Monte-Carlo random walk with restart: how often each node was visited.

        Visit counts estimate personalised PageRank from `start`. Each step is one bisect in the
        current node's cumulative weights, so a few thousand steps take a few milliseconds.
        """
        rng = random.Random(seed)
        visits: dict[Node, int] = defaultdict(int)
        if start not in self.g:
            return visits
        current = start
        rand = rng.random
        cache = self._arrays
        arrays_of = self._arrays_of
        for _ in range(steps):
            if current is not start and rand() < restart:
                current = start
            arrays = cache.get(current)
            nbrs, cumulative = arrays if arrays is not None else arrays_of(current)
            if not nbrs:
                current = start
                continue
            current = nbrs[bisect_right(cumulative, rand() * cumulative[-1])]
            visits[current] += 1
        return visits

    # --- mutation (all under the lock) -------------------------------------------------------------

    def _touch(self, *nodes: Node) -> None:
        for node in nodes:
            self._arrays.pop(node, None)
            self._carriers.pop(node, None)

    def _edge_data(self, u: Node, v: Node) -> dict:
        if not self.g.has_edge(u, v):
            self.g.add_edge(u, v)
            self._touch(u, v)
        return self.g._adj[u][v]

    def _drop_if_empty(self, u: Node, v: Node) -> None:
        data = self.g._adj.get(u, {}).get(v)
        if data is not None and _empty(data):
            self.g.remove_edge(u, v)
        self._touch(u, v)

    def _prune_tag(self, node: Node) -> None:
        if node[0] == TAG and node in self.g and self.g.degree(node) == 0:
            self.g.remove_node(node)
            self._touch(node)

    def set_person(self, person_id: int, *, user_id: int | None, company_id: int | None, region: str) -> None:
        node = (PERSON, person_id)
        with self.lock:
            attrs = self.g.nodes[node] if node in self.g else None
            if attrs is None:
                self.g.add_node(node, user=user_id, company=None, region=region, act=0.0)
                self.people += 1
                attrs = self.g.nodes[node]
            old_company = attrs.get("company")
            attrs.update(user=user_id, region=region, company=company_id)
            if old_company != company_id:
                if old_company is not None and self.g.has_edge(node, (COMPANY, old_company)):
                    self.g._adj[node][(COMPANY, old_company)].pop("works", None)
                    self._drop_if_empty(node, (COMPANY, old_company))
                if company_id is not None:
                    self.ensure_company(company_id)
                    self._edge_data(node, (COMPANY, company_id))["works"] = True
                    self._touch(node, (COMPANY, company_id))

    def remove_person(self, person_id: int) -> None:
        node = (PERSON, person_id)
        with self.lock:
            if node not in self.g:
                return
            neighbours = list(self.g._adj[node])
            self.g.remove_node(node)
            self.people -= 1
            self._touch(node, *neighbours)
            for other in neighbours:
                self._prune_tag(other)

    def ensure_company(self, company_id: int, **attrs) -> None:
        node = (COMPANY, company_id)
        with self.lock:
            if node not in self.g:
                self.g.add_node(node, name="", slug="", region="", industry="", partner_type="")
            if attrs:
                self.g.nodes[node].update(attrs)

    def remove_company(self, company_id: int) -> None:
        node = (COMPANY, company_id)
        with self.lock:
            if node not in self.g:
                return
            neighbours = list(self.g._adj[node])
            self.g.remove_node(node)
            self._touch(node, *neighbours)
            for other in neighbours:
                if other[0] == PERSON:
                    self.g.nodes[other]["company"] = None
                self._prune_tag(other)

    def ensure_tag(self, tag_id: int, name: str) -> None:
        node = (TAG, tag_id)
        with self.lock:
            if node not in self.g:
                self.g.add_node(node, name=name)
            elif name:
                self.g.nodes[node]["name"] = name

    def set_tags(self, owner: Node, tags: Iterable[tuple[int, str, str]]) -> None:
        """Replace an owner's profile tags with (tag id, kind, level); tag nodes must exist."""
        wanted: dict[Node, dict[str, str]] = defaultdict(dict)
        for tag_id, kind, level in tags:
            wanted[(TAG, tag_id)][kind] = level
        with self.lock:
            if owner not in self.g:
                return
            for other, data in list(self.g._adj[owner].items()):
                if other[0] == TAG and other not in wanted and data.get("kinds"):
                    data.pop("kinds")
                    self._drop_if_empty(owner, other)
                    self._prune_tag(other)
            for tag_node, kinds in wanted.items():
                if tag_node not in self.g:
                    continue
                self._edge_data(owner, tag_node)["kinds"] = kinds
                self._touch(owner, tag_node)

    def set_topics(self, person_id: int, topics: dict[int, float], *, only: set[int] | None = None) -> None:
        """Replace what a person wrote about: tag id → decayed weight (with `only`, just those tags)."""
        owner = (PERSON, person_id)
        with self.lock:
            if owner not in self.g:
                return
            stale = list(self.g._adj[owner].items()) if only is None else [
                ((TAG, tag_id), self.g._adj[owner][(TAG, tag_id)]) for tag_id in only
                if (TAG, tag_id) in self.g._adj[owner]]
            for other, data in stale:
                if other[0] == TAG and other[1] not in topics and data.get("topic"):
                    data.pop("topic")
                    self._drop_if_empty(owner, other)
                    self._prune_tag(other)
            for tag_id, weight in topics.items():
                tag_node = (TAG, tag_id)
                if tag_node in self.g and weight > 0:
                    self._edge_data(owner, tag_node)["topic"] = weight
                    self._touch(owner, tag_node)

    def add_connection(self, a_id: int, b_id: int) -> None:
        a, b = (PERSON, a_id), (PERSON, b_id)
        with self.lock:
            if a_id == b_id or a not in self.g or b not in self.g:
                return
            self._edge_data(a, b)["conn"] = True
            self._touch(a, b)

    def interaction_weight(self, kind: str, at: datetime) -> float:
        return KIND_WEIGHTS.get(kind, 0.5) * self.decay(at)

    def set_post_interactions(self, post_id: int, contributions: Iterable[tuple[int, int, float]]) -> None:
        """Replace what one post contributes to person–person edges (idempotent: replaying a post's
        events, or an event for a post that is gone, leaves the graph as the database says)."""
        new = tuple((a, b, w) for a, b, w in contributions
                    if a != b and (PERSON, a) in self.g and (PERSON, b) in self.g)
        with self.lock:
            old = self._post_contrib.pop(post_id, ())
            for a, b, weight in old:
                self._add_interaction(a, b, -weight, -1)
            for a, b, weight in new:
                self._add_interaction(a, b, weight, 1)
            if new:
                self._post_contrib[post_id] = new

    def _add_interaction(self, a_id: int, b_id: int, weight: float, count: int) -> None:
        a, b = (PERSON, a_id), (PERSON, b_id)
        if a not in self.g or b not in self.g:
            return
        data = self._edge_data(a, b)
        data["n"] = data.get("n", 0) + count
        data["inter"] = data.get("inter", 0.0) + weight
        if data["n"] <= 0:
            data.pop("n", None)
            data.pop("inter", None)
        for node in (a, b):
            attrs = self.g.nodes[node]
            attrs["act"] = max(0.0, attrs.get("act", 0.0) + weight)
        self._drop_if_empty(a, b)

    def post_ids(self) -> set[int]:
        return set(self._post_contrib)

    def apply_events(self, batch: list[dict], session) -> None:
        """Apply a commit's events (portal.events batch payloads), re-reading the touched rows
        through `session`. Idempotent; unknown events and vanished rows are fine."""
        from portal.matching.updates import apply_touched, touched_from

        apply_touched(session, self, touched_from(batch))


def idf(graph: MatchingGraph, tag_node: Node, people: int) -> float:
    """Rarer tags say more: log(1 + people / carriers)."""
    return math.log(1.0 + people / max(1, graph.degree(tag_node)))


def timed(fn):
    """Run fn() and return (result, seconds)."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start
