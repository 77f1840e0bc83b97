"""The matching benchmark's data generator (benchmarks/matching_data.py) at a tiny size: it
builds a migrated database whose rows are consistent and whose edge count is what the forum's
own interaction reads see."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import make_engine
from portal.forums.interactions import person_interactions, person_topics
from portal.forums.models import Post, Thread
from portal.profiles.models import Connection, Person, PersonTag

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _generator():
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("matching_data", BENCHMARKS / "matching_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_fills_a_small_ecosystem(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    now = datetime(2025, 3, 1, tzinfo=UTC)
    result = _generator().generate(url, 200, seed=3, now=now)

    rows = result["rows"]
    assert rows["persons"] == 200
    assert rows["companies"] == 200 // 6
    assert rows["forum_posts"] == 500  # 2.5 per person
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.scalar(select(func.count(Person.id))) == 200
        assert session.scalar(select(func.count(Post.id))) == rows["forum_posts"]
        assert session.scalar(select(func.count()).select_from(Connection)) == rows["connections"]
        assert session.scalar(select(func.count()).select_from(PersonTag)) == rows["person_tags"]
        # Thread counters agree with the posts, and no post is dated in the future.
        assert session.scalar(select(func.sum(Thread.post_count))) == rows["forum_posts"]
        assert session.scalar(select(func.max(Post.created_at))) <= now
        # The generator counts interaction pairs and person-tag edges as the forum's reads see them.
        pairs = {tuple(sorted((i.actor_id, i.target_id))) for i in person_interactions(session, include_groups=False)}
        topics = {(t.person_id, t.tag_id) for t in person_topics(session)}
        connections = set(session.execute(select(Connection.person_a_id, Connection.person_b_id)).all())
        profile = set(session.execute(select(PersonTag.person_id, PersonTag.tag_id)).all())
    engine.dispose()
    edges = result["edges"]
    assert edges["interactions"] == len(pairs) > 0
    assert edges["person_tag"] == len(profile | topics)
    assert edges["person_person"] == len(pairs | connections)
    assert edges["total"] == sum(edges[k] for k in ("works_at", "person_person", "person_tag", "company_tag"))
