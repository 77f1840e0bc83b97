"""The broker's batch planner: a b-matching at least half the optimum, exact on small inputs."""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx
import pytest

from portal.broker.batch import exact_batch, plan_batch, total_score


@dataclass
class Pair:
    a_id: int
    b_id: int
    score: float
    reasons: list[str] = field(default_factory=list)


def pairs_of(*triples) -> list[Pair]:
    return [Pair(a, b, s) for a, b, s in triples]


def loads(chosen) -> Counter:
    return Counter(itertools.chain.from_iterable((p.a_id, p.b_id) for p in chosen))


def brute_force(pairs, capacity: int) -> float:
    """The optimum by trying every subset (tiny inputs only); a pair is proposed once at most."""
    best_copy: dict[tuple[int, int], Pair] = {}
    for p in pairs:
        if p.score > best_copy.get((p.a_id, p.b_id), Pair(0, 0, 0.0)).score:
            best_copy[(p.a_id, p.b_id)] = p
    pairs = list(best_copy.values())
    best = 0.0
    for size in range(len(pairs) + 1):
        for subset in itertools.combinations(pairs, size):
            if all(n <= capacity for n in loads(subset).values()):
                best = max(best, total_score(subset))
    return best


def random_pairs(rng: random.Random, people: int, count: int, *, integer: bool = False) -> list[Pair]:
    pairs = []
    for _ in range(count):
        a, b = rng.sample(range(1, people + 1), 2)
        score = rng.randint(1, 6) if integer else rng.random()
        pairs.append(Pair(min(a, b), max(a, b), score))
    return pairs


def test_simple_cases_are_solved_exactly():
    # A path a-b-c-d weighing 1, 1.5, 1: greedy alone takes the middle (1.5), the optimum is 2.
    path = pairs_of((1, 2, 1.0), (2, 3, 1.5), (3, 4, 1.0))
    assert total_score(plan_batch(path, 1, local_search=False)) == 1.5
    assert {(p.a_id, p.b_id) for p in plan_batch(path, 1)} == {(1, 2), (3, 4)}
    assert {(p.a_id, p.b_id) for p in exact_batch(path, 1)} == {(1, 2), (3, 4)}
    # A triangle with two proposals each: everything.
    triangle = pairs_of((1, 2, 3.0), (2, 3, 2.0), (1, 3, 1.0))
    assert len(plan_batch(triangle, 2)) == 3
    assert [p.score for p in plan_batch(triangle, 1)] == [3.0]
    # A star: the centre gets its k best.
    star = pairs_of(*((0, leaf, float(leaf)) for leaf in range(1, 6)))
    assert [p.b_id for p in plan_batch(star, 2)] == [5, 4]


def test_capacity_per_person_and_default():
    star = pairs_of(*((0, leaf, float(leaf)) for leaf in range(1, 6)))
    chosen = plan_batch(star, {0: 3, 5: 0}, default_capacity=1)
    assert [p.b_id for p in chosen] == [4, 3, 2]
    assert plan_batch(star, {0: 3}) == []  # leaves missing from the mapping may receive nothing
    assert plan_batch(star, 0) == []


def test_ignores_self_pairs_duplicates_and_worthless_pairs():
    pairs = pairs_of((1, 1, 9.0), (1, 2, 1.0), (2, 1, 4.0), (3, 4, 0.0), (3, 5, -2.0), (4, 5, float("nan")))
    chosen = plan_batch(pairs, 5)
    assert [(p.a_id, p.b_id, p.score) for p in chosen] == [(2, 1, 4.0)]
    assert exact_batch(pairs, 5) == chosen


def test_bad_capacity_is_refused():
    with pytest.raises(ValueError):
        plan_batch(pairs_of((1, 2, 1.0)), -1)
    with pytest.raises(TypeError):
        plan_batch(pairs_of((1, 2, 1.0)), "3")


def test_exact_matches_networkx_matching_when_k_is_one():
    for seed in range(30):
        rng = random.Random(seed)
        pairs = random_pairs(rng, rng.randint(4, 20), rng.randint(3, 50), integer=True)
        graph = nx.Graph()
        for p in sorted(pairs, key=lambda p: p.score):  # duplicates: keep the best, like the planner
            graph.add_edge(p.a_id, p.b_id, weight=p.score)
        expected = sum(graph[a][b]["weight"] for a, b in nx.max_weight_matching(graph))
        assert total_score(exact_batch(pairs, 1)) == expected


def test_exact_matches_brute_force_for_larger_k():
    for seed in range(25):
        rng = random.Random(1000 + seed)
        pairs = random_pairs(rng, rng.randint(3, 7), rng.randint(2, 11))
        capacity = rng.randint(1, 3)
        assert total_score(exact_batch(pairs, capacity)) == pytest.approx(brute_force(pairs, capacity))


@pytest.mark.parametrize("capacity", [1, 2, 3])
def test_plan_is_a_b_matching_of_at_least_half_the_optimum(capacity):
    worst = 1.0
    for seed in range(60):
        rng = random.Random(seed * 7 + capacity)
        pairs = random_pairs(rng, rng.randint(4, 30), rng.randint(3, 90), integer=seed % 2 == 0)
        chosen = plan_batch(pairs, capacity)
        assert max(loads(chosen).values(), default=0) <= capacity
        greedy = total_score(plan_batch(pairs, capacity, local_search=False))
        optimum = total_score(exact_batch(pairs, capacity))
        assert total_score(chosen) >= greedy - 1e-9  # local search never loses weight
        assert total_score(chosen) <= optimum + 1e-6
        assert total_score(chosen) >= optimum / 2
        worst = min(worst, total_score(chosen) / optimum)
    assert worst >= 0.5


def test_greedy_bound_is_tight_and_local_search_fixes_the_tight_case():
    epsilon = 1e-3
    pairs = pairs_of((1, 2, 1.0), (2, 3, 1.0 + epsilon), (3, 4, 1.0))
    greedy = total_score(plan_batch(pairs, 1, local_search=False))
    assert greedy / total_score(exact_batch(pairs, 1)) == pytest.approx(0.5, abs=1e-3)
    assert total_score(plan_batch(pairs, 1)) == 2.0


def test_large_batch_is_fast():
    rng = random.Random(42)
    people = 10_000
    pairs = [Pair(min(a, b), max(a, b), rng.random())
             for a in range(people) for b in (rng.randrange(people) for _ in range(10)) if a != b]
    started = time.perf_counter()
    chosen = plan_batch(pairs, 3)
    elapsed = time.perf_counter() - started
    assert max(loads(chosen).values()) <= 3
    assert elapsed < 10, f"plan_batch took {elapsed:.1f} s on {len(pairs)} pairs"
