"""`portal matching evaluate` on the real coffee forum: the engine predicts new pairs better than baselines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from portal.matching.evaluate import evaluate
from tests.test_interchange import run

COFFEE = Path(__file__).parent / "fixtures" / "coffee-forum.jsonl"
# About 70% of the fixture's posts are older than this (2015-01-27 … 2015-03-07).
SPLIT = "2015-02-11"


def test_engine_beats_random_popularity_and_adamic_adar_on_the_coffee_forum(runner, session):
    assert run(runner, "import", str(COFFEE)).exit_code == 0

    result = evaluate(session, datetime(2015, 2, 11, tzinfo=UTC), k=10)
    scores = {r.method: r for r in result.results}
    print(result.as_dict())
    assert result.people >= 10 and result.pairs >= 15
    engine = scores["engine"]
    for baseline in ("random", "popularity", "adamic_adar"):
        assert engine.precision > scores[baseline].precision, (baseline, result.as_dict())
        assert engine.recall > scores[baseline].recall, (baseline, result.as_dict())


def test_evaluate_command_prints_the_methods_side_by_side(runner, session):
    assert run(runner, "import", str(COFFEE)).exit_code == 0

    table = run(runner, "matching", "evaluate", "--before", SPLIT)
    assert table.exit_code == 0, table.output
    assert "precision@10" in table.output and "recall@10" in table.output
    for method in ("engine", "random", "popularity", "adamic_adar"):
        assert method in table.output

    as_json = run(runner, "matching", "evaluate", "--before", SPLIT, "--json")
    data = json.loads(as_json.output)
    assert set(data["results"]) == {"engine", "random", "popularity", "adamic_adar"}

    bad = run(runner, "matching", "evaluate", "--before", "next tuesday")
    assert bad.exit_code == 2 and "is not a date" in bad.output
