"""Plan a batch of introductions: a maximum-weight b-matching over candidate pairs.

The broker wants the set of introductions with the largest total match score such that each
person receives at most k proposals (k per person: an int for everyone or a mapping). That is
the maximum-weight b-matching problem on a general (non-bipartite) graph.

`plan_batch` is the fast one (used for the whole ecosystem):

1. **Greedy**: take pairs by descending score, keep a pair while both people still have
   capacity. Greedy is a 1/2-approximation for maximum-weight b-matching: the feasible sets of
   a b-matching form a 2-extendible independence system, and greedy is a 1/k-approximation on
   k-extendible systems (J. Mestre, "Greedy in Approximation Algorithms", ESA 2006; for plain
   matchings the bound goes back to D. Avis, "A survey of heuristics for the weighted matching
   problem", Networks 13, 1983). Every pair of the optimum that greedy skipped is blocked by at
   most two heavier chosen pairs, one at each end, hence weight(greedy) >= weight(optimum) / 2.
2. **Local search** (remove one, add two): for a chosen pair (u, x), drop it when the best
   unchosen pair at u to someone with free capacity plus the best one at x weigh more. These
   are the length-3 augmentations of Drake & Hougardy's path-growing improvements. Each move
   strictly raises the total, so the 1/2 bound of step 1 still holds; in practice the result
   is within a few per cent of the optimum (tests compare with `exact_batch`).

`exact_batch` is exact, for small inputs (tests; the console uses it when the candidate list is
small): the b-matching is reduced to a maximum-weight matching solved by NetworkX's blossom
algorithm (see `exact_batch`). It is O(n^3) in pure Python, so a few hundred pairs at most.

Pairs are any objects with `a_id`, `b_id` and `score` (portal.matching.services.SuggestedPair);
the chosen ones are returned as they came, best first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

import networkx as nx

# At most this many passes of local search (each pass is linear in the chosen pairs' degrees;
# nearly all of the gain comes in the first two).
LOCAL_SEARCH_PASSES = 4
# Scores become integers for the blossom algorithm, which is only exact on integer weights.
_EXACT_SCALE = 1_000_000


class ScoredPair(Protocol):
    a_id: int
    b_id: int
    score: float


P = TypeVar("P", bound=ScoredPair)
Capacity = Mapping[int, int] | int


def _capacity_of(capacity: Capacity, default: int):
    """A function person id -> how many proposals they may still receive."""
    if isinstance(capacity, bool) or not isinstance(capacity, int | Mapping):
        raise TypeError("capacity must be an int or a mapping of person id to int")
    if isinstance(capacity, int):
        if capacity < 0:
            raise ValueError("capacity must not be negative")
        return lambda _person_id: capacity
    return lambda person_id: max(0, int(capacity.get(person_id, default)))


def _usable(pairs: Iterable[P]) -> list[P]:
    """Pairs worth choosing: positive score, two different people, the best copy of a duplicate,
    sorted best first (ties broken by ids so that the result is deterministic)."""
    best: dict[tuple[int, int], P] = {}
    for pair in pairs:
        a, b = pair.a_id, pair.b_id
        if a == b or not pair.score > 0:  # a non-positive pair never raises the total (NaN fails too)
            continue
        key = (a, b) if a < b else (b, a)
        kept = best.get(key)
        if kept is None or pair.score > kept.score:
            best[key] = pair
    return sorted(best.values(), key=lambda p: (-p.score, min(p.a_id, p.b_id), max(p.a_id, p.b_id)))


def total_score(pairs: Iterable[ScoredPair]) -> float:
    return sum(p.score for p in pairs)


def plan_batch(pairs: Sequence[P], capacity: Capacity, *, default_capacity: int = 0,
               local_search: bool = True) -> list[P]:
    """A b-matching of `pairs`: each person in at most `capacity` chosen pairs (an int for all,
    or a mapping person id -> int where people missing from it get `default_capacity`), with a
    total score at least half the optimum (greedy + improving local search, see the module).

    Returns the chosen pairs, best score first. 100k pairs over 10k people take well under a
    second on one core.
    """
    cap_of = _capacity_of(capacity, default_capacity)
    ordered = _usable(pairs)
    free: dict[int, int] = {}
    for pair in ordered:
        for person in (pair.a_id, pair.b_id):
            if person not in free:
                free[person] = cap_of(person)

    chosen = [False] * len(ordered)
    for index, pair in enumerate(ordered):  # greedy
        if free[pair.a_id] > 0 and free[pair.b_id] > 0:
            chosen[index] = True
            free[pair.a_id] -= 1
            free[pair.b_id] -= 1

    if local_search:
        _improve(ordered, chosen, free)
    return [pair for index, pair in enumerate(ordered) if chosen[index]]


def _improve(ordered: list, chosen: list[bool], free: dict[int, int]) -> None:
    """Remove-one-add-two moves until none improves (or LOCAL_SEARCH_PASSES run out)."""
    search = _LocalSearch(ordered, chosen, free)
    for _ in range(LOCAL_SEARCH_PASSES):
        if not search.run_pass():
            break


class _LocalSearch:
    """State of the local search over the greedy result (`chosen` and `free` change in place).

    adjacency[u] lists the indexes of u's pairs best first (`ordered` is sorted), so the best
    unchosen pair at u to someone with room is the first one that qualifies.
    """

    def __init__(self, ordered: list, chosen: list[bool], free: dict[int, int]) -> None:
        self.ordered, self.chosen, self.free = ordered, chosen, free
        self.adjacency: dict[int, list[int]] = {person: [] for person in free}
        for index, pair in enumerate(ordered):
            self.adjacency[pair.a_id].append(index)
            self.adjacency[pair.b_id].append(index)
        self.had_room: set[int] = set()
        self.cached: dict[int, list[int]] = {}

    def candidates(self, person: int) -> list[int]:
        """person's unchosen pairs to people who had room when the pass began. Scanned once per
        person and pass, not once per move: most people are full. Someone who gets room during
        the pass is seen in the next one (a move later, never a wrong move: room is rechecked)."""
        found = self.cached.get(person)
        if found is None:
            chosen, ordered, had_room = self.chosen, self.ordered, self.had_room
            found = self.cached[person] = [i for i in self.adjacency[person] if not chosen[i]
                                           and _other(ordered[i], person) in had_room]
        return found

    def best_addition(self, person: int, banned: int, taken: int | None) -> int | None:
        """The best unchosen pair of `person` whose other end has room, other than to `banned`;
        `taken` already used one unit of room in this move."""
        for index in self.candidates(person):
            if self.chosen[index]:
                continue
            other = _other(self.ordered[index], person)
            if other != banned and self.free[other] - (other == taken) > 0:
                return index
        return None

    def run_pass(self) -> bool:
        """One sweep over the chosen pairs, lightest first (the likeliest to be worth replacing).
        Returns whether anything improved."""
        ordered, chosen, free = self.ordered, self.chosen, self.free
        self.had_room = {person for person, room in free.items() if room > 0}
        self.cached = {}
        improved = False
        for index in reversed(range(len(ordered))):
            if not chosen[index]:
                continue
            pair = ordered[index]
            best_gain, best_move = 0.0, None
            for first, second in ((pair.a_id, pair.b_id), (pair.b_id, pair.a_id)):  # keep the better
                add_first = self.best_addition(first, second, None)
                taken = None if add_first is None else _other(ordered[add_first], first)
                add_second = self.best_addition(second, first, taken)
                gain = -pair.score + sum(ordered[i].score for i in (add_first, add_second) if i is not None)
                if gain > best_gain + 1e-12:
                    best_gain, best_move = gain, (add_first, add_second)
            if best_move is None:
                continue
            chosen[index] = False
            free[pair.a_id] += 1
            free[pair.b_id] += 1
            for added in best_move:
                if added is not None:
                    chosen[added] = True
                    free[ordered[added].a_id] -= 1
                    free[ordered[added].b_id] -= 1
            improved = True
        return improved


def _other(pair: ScoredPair, person: int) -> int:
    return pair.b_id if pair.a_id == person else pair.a_id


def exact_batch(pairs: Sequence[P], capacity: Capacity, *, default_capacity: int = 0) -> list[P]:
    """The optimal b-matching of `pairs` (same arguments as `plan_batch`); for small inputs.

    Reduction to maximum-weight matching: person v becomes cap(v) copies; pair (u, v) of weight w
    becomes two gadget nodes p_u, p_v with an edge p_u-p_v of weight 2M and edges copy(u)-p_u,
    p_v-copy(v) of weight M + w each (M larger than any w). A maximum-weight matching covers
    every gadget by p_u-p_v (2M, pair not chosen) or by both outer edges (2M + 2w, pair
    chosen): covering one side only gives M + w < 2M. So it maximises twice the chosen weight
    with each person in at most cap(v) chosen pairs: a maximum-weight b-matching.
    """
    cap_of = _capacity_of(capacity, default_capacity)
    ordered = _usable(pairs)
    if not ordered:
        return []
    weights = [max(1, round(p.score * _EXACT_SCALE)) for p in ordered]
    big = max(weights) + 1
    graph = nx.Graph()
    copies: dict[int, list[tuple]] = {}
    for pair in ordered:
        for person in (pair.a_id, pair.b_id):
            if person not in copies:
                copies[person] = [("person", person, i) for i in range(cap_of(person))]
    for index, (pair, weight) in enumerate(zip(ordered, weights, strict=True)):
        side_a, side_b = ("pair", index, "a"), ("pair", index, "b")
        graph.add_edge(side_a, side_b, weight=2 * big)
        for copy in copies[pair.a_id]:
            graph.add_edge(copy, side_a, weight=big + weight)
        for copy in copies[pair.b_id]:
            graph.add_edge(side_b, copy, weight=big + weight)
    sides_taken = [0] * len(ordered)
    for one, two in nx.max_weight_matching(graph):
        if one[0] != two[0]:  # a person's copy with a gadget side
            gadget = one if one[0] == "pair" else two
            sides_taken[gadget[1]] += 1
    return [pair for index, pair in enumerate(ordered) if sides_taken[index] == 2]
