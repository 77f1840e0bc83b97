"""The matching graph: what it holds, incremental updates from events, and `portal matching rebuild`."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.forums import services as forums
from portal.forums.activity import set_accepted_answer
from portal.matching import graph_of
from portal.matching.graph import COMPANY, PERSON, TAG
from portal.matching.sources import build_graph
from portal.profiles.services import connect
from tests.test_forums_support import viewer_of
from tests.test_interchange import run
from tests.test_matching_support import company_with, converse, person_with


@pytest.fixture
def people(session):
    general = forums.create_category(session, "General")
    ann = person_with(session, "Ann Asker", needs=["SAP consulting"], visibility={"needs": "connections"})[1]
    ben = person_with(session, "Ben Answerer", offers=["SAP consulting"])[1]
    cat = person_with(session, "Cat Third")[1]
    company_with(session, ben, "Ben Co", offers=["Logistics"])
    session.commit()
    return {"general": general, "ann": ann, "ben": ben, "cat": cat}


def test_graph_holds_people_companies_tags_and_weighted_interactions(session, people):
    ann, ben, cat, general = people["ann"], people["ben"], people["cat"], people["general"]
    thread = converse(session, general, ann, ben)
    answer = forums.reply(session, thread, cat.id, "Old news, but here you go.",
                          created_at=utcnow() - timedelta(days=360))
    set_accepted_answer(session, thread, forums.reply(session, thread, ben.id, "The answer."), viewer_of(ann))
    connect(session, ann, cat)
    session.commit()
    assert answer.id

    graph = build_graph(session)
    ann_node, ben_node, cat_node = (PERSON, ann.id), (PERSON, ben.id), (PERSON, cat.id)
    assert graph.edge(ben_node, (COMPANY, ben.company_id)).get("works")
    assert graph.edge(ann_node, cat_node).get("conn")
    # Two replies and an accepted answer with Ben outweigh one reply a year ago with Cat.
    assert graph.edge(ann_node, ben_node)["inter"] > 3 * graph.edge(ann_node, cat_node)["inter"]
    assert graph.edge(ann_node, cat_node)["inter"] < 2.0 * 0.5  # a reply decayed by two half-lives
    # Tag edges remember the field's visibility level; connections-only ones carry no walk weight.
    sap = next(node for node, _ in graph.neighbours(ben_node) if node[0] == TAG
               and graph.node(node)["name"] == "SAP consulting")
    assert graph.edge(ann_node, sap)["kinds"] == {"need": "connections"}
    assert ann_node not in graph._arrays_of(sap)[0]
    assert graph.edge(ben_node, sap)["kinds"] == {"offer": "public"}
    # What people wrote about: the thread's tag.
    logistics = next(node for node, _ in graph.neighbours(ann_node) if node[0] == TAG
                     and graph.node(node)["name"].lower() == "logistics")
    assert graph.edge(ann_node, logistics)["topic"] > 0


def test_events_update_only_what_they_touch_idempotently(session, people):
    ann, ben, cat, general = people["ann"], people["ben"], people["cat"], people["general"]
    graph = build_graph(session)
    assert not graph.edge((PERSON, ann.id), (PERSON, cat.id))

    thread = forums.create_thread(session, general, ann.id, "Anyone in Lisbon?", "Looking.", tags=["travel"])
    post = forums.reply(session, thread, cat.id, "Me!")
    batch = [{"event": "forum.thread.changed", "thread_id": thread.id},
             {"event": "forum.post.changed", "post_id": post.id, "thread_id": thread.id, "author_id": cat.id}]
    session.commit()
    started = time.perf_counter()
    graph.apply_events(batch, session)
    elapsed = time.perf_counter() - started
    edge = dict(graph.edge((PERSON, ann.id), (PERSON, cat.id)))
    assert edge["n"] == 1 and edge["inter"] > 0
    assert any(graph.node(node).get("name", "").lower() == "travel" for node, _ in graph.neighbours((PERSON, cat.id)))
    assert elapsed < 1.0  # generous for CI; `benchmarks/matching.py` measures the real figure

    graph.apply_events(batch, session)  # delivered twice (another process relayed it too)
    assert graph.edge((PERSON, ann.id), (PERSON, cat.id)) == edge

    forums.delete_post(session, post, viewer_of(cat))
    session.commit()
    graph.apply_events([{"event": "forum.post.changed", "post_id": post.id, "thread_id": thread.id,
                         "author_id": cat.id}], session)
    assert not graph.edge((PERSON, ann.id), (PERSON, cat.id))

    # Events for rows that never existed, and malformed ones, change nothing and raise nothing.
    graph.apply_events([{"event": "forum.post.changed", "post_id": 999999},
                        {"event": "person.changed", "person_id": 999999},
                        {"event": "connection.created", "person_ids": ["x"]},
                        {"event": "something.else"}], session)

    connect(session, ben, cat)
    session.commit()
    graph.apply_events([{"event": "connection.created", "person_ids": sorted([ben.id, cat.id])}], session)
    assert graph.edge((PERSON, ben.id), (PERSON, cat.id)).get("conn")


def test_the_apps_graph_follows_commits_without_a_rebuild(app, session, people):
    ann, cat, general = people["ann"], people["cat"], people["general"]
    holder = app.extensions["matching"]
    app.config["MATCHING_CACHE_GRAPH"] = True
    try:
        holder.graph = None
        graph = graph_of(app)
        thread = converse(session, general, ann, cat, title="Cached graph")
        session.commit()  # after-commit events reach the graph
        assert graph_of(app) is graph
        assert graph.edge((PERSON, ann.id), (PERSON, cat.id)).get("n") == 1

        _, newcomer = person_with(session, "Nia Newcomer", skills=["Rust"])
        session.commit()
        assert graph.has((PERSON, newcomer.id))
        assert thread.id
    finally:
        app.config.pop("MATCHING_CACHE_GRAPH")
        holder.graph = None


def test_rebuild_command_prints_counts_and_time(runner, session, people):
    result = run(runner, "matching", "rebuild")
    assert result.exit_code == 0, result.output
    assert "3 people" in result.output and "edges in" in result.output


def test_a_new_post_changes_only_its_threads_topics_of_its_author(session, people):
    ann, cat, general = people["ann"], people["cat"], people["general"]
    old = forums.create_thread(session, general, ann.id, "Freight audit", "Who does it?", tags=["freight"])
    forums.reply(session, old, cat.id, "We do.")
    fresh = forums.create_thread(session, general, ann.id, "Anyone in Lisbon?", "Looking.", tags=["travel"])
    session.commit()
    graph = build_graph(session)

    def topics_of_cat() -> dict[str, float]:
        return {graph.node(node)["name"].lower(): data["topic"]
                for node, data in graph.neighbours((PERSON, cat.id)) if node[0] == TAG and data.get("topic")}

    before = topics_of_cat()
    assert set(before) == {"freight"}
    post = forums.reply(session, fresh, cat.id, "Me!")
    session.commit()
    graph.apply_events([{"event": "forum.post.changed", "post_id": post.id, "thread_id": fresh.id,
                         "author_id": cat.id}], session)
    after = topics_of_cat()
    assert set(after) == {"freight", "travel"} and after["freight"] == before["freight"]

    forums.delete_post(session, post, viewer_of(cat))
    session.commit()
    graph.apply_events([{"event": "forum.post.changed", "post_id": post.id, "thread_id": fresh.id,
                         "author_id": cat.id}], session)
    assert topics_of_cat() == before
