"""Two app processes behind one database and Redis: each keeps its matching graph current."""

from __future__ import annotations

import uuid

import pytest

from portal import create_app
from portal.db import db
from portal.matching import graph_of
from portal.matching.graph import PERSON
from portal.migrate import upgrade
from portal.profiles.services import connect, create_person
from tests.test_event_relay import _wait_for
from tests.test_scaleout import redis_url  # noqa: F401 - the fixture


@pytest.fixture
def two_processes(redis_url, tmp_path):  # noqa: F811
    # Their own database: these apps commit for real, outside the suite's rolled-back transaction.
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    channel = f"test-graph-{uuid.uuid4().hex}"
    apps = []
    for name in ("first", "second"):
        app = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / name),
                          "SECRET_KEY": "x", "REDIS_URL": redis_url, "EVENT_RELAY_CHANNEL": channel,
                          "SEARCH_BACKGROUND_REBUILD": False, "MATCHING_CACHE_GRAPH": True})
        assert app.extensions["event_relay"].wait_connected()
        apps.append(app)
    yield apps
    for app in apps:
        app.extensions["event_relay"].stop()


def test_a_connection_made_in_one_process_shows_in_the_others_graph(two_processes):
    first, second = two_processes
    with first.app_context():
        session = db.new_session()
        ada, bo = create_person(session, "Ada Example"), create_person(session, "Bo Example")
        session.commit()
        ids = (ada.id, bo.id)
        session.close()
    with second.app_context():
        graph = graph_of(second)  # built now, from the database, before the connection exists
        assert graph.has((PERSON, ids[0])) and not graph.edge((PERSON, ids[0]), (PERSON, ids[1])).get("conn")
    with first.app_context():
        session = db.new_session()
        people = [session.get(type(ada), pid) for pid in ids]
        connect(session, *people)
        session.commit()
        session.close()
    # The second process never saw the request: the connection reached its graph through Redis.
    assert _wait_for(lambda: graph_of(second).edge((PERSON, ids[0]), (PERSON, ids[1])).get("conn"))
