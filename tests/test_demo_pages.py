"""After `portal demo` (as `make run` runs it, before the server starts), the printed accounts see
what the after-commit work builds from the demo's one big commit: a feed on the dashboard, the
ecosystem's tag cloud, search hits, notifications."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.auth import passwords
from portal.db import db
from portal.migrate import upgrade
from portal.realtime.models import LiveEvent
from portal.search.services import wait_for_rebuild


@pytest.fixture(autouse=True)
def fast_password_hashing():
    previous = passwords.configure_hasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = previous


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo ecosystem made by the command, in a portal of its own (search rebuilt in the
    background, as on a fresh instance)."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"),
                      "SECRET_KEY": "demo", "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": False})
    result = app.test_cli_runner().invoke(args=["demo", "--companies", "12", "--people", "60"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.new_session()
        wait_for_rebuild(session)
        session.close()
    accounts = re.findall(r"(Ecosystem admin|Member \(.+?\)): (\S+)  password: (\S+)", result.output)
    assert len(accounts) == 6
    yield app, [(email, password) for _, email, password in accounts]
    with app.app_context():
        db.engine.dispose()


def _logged_in(app, email: str, password: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_every_printed_account_has_a_feed_and_the_ecosystem_cloud_on_the_home_page(demo):
    app, accounts = demo
    for email, password in accounts:
        home = _logged_in(app, email, password).get("/").get_data(as_text=True)
        assert home.count('class="feed-item') >= 5, f"{email}'s dashboard feed is (nearly) empty"
        assert re.search(r'<ul class="tag-cloud"[^>]*>\s*<li><a class="cloud-term', home), "no ecosystem cloud"


def test_a_cloud_term_leads_to_search_hits(demo):
    app, accounts = demo
    client = _logged_in(app, *accounts[1])
    home = client.get("/").get_data(as_text=True)
    terms = re.findall(r'class="cloud-term[^"]*" href="(/search\?q=[^"]+)"', home)
    assert terms
    hits = client.get(terms[0].replace("&amp;", "&")).get_data(as_text=True)
    assert hits.count('<li class="search-result ') >= 1
    thread_hits = client.get("/search?q=partner&type=thread").get_data(as_text=True)
    assert thread_hits.count('<li class="search-result search-result-thread"') >= 3


def test_members_have_notifications_and_no_live_rows_were_written(demo):
    app, accounts = demo
    for email, password in accounts[1:]:  # each printed member takes part in introductions
        page = _logged_in(app, email, password).get("/notifications/").get_data(as_text=True)
        assert '<li class="notification ' in page, f"{email} has no notifications"
    with app.app_context():
        session = db.new_session()
        # Nobody could have had a stream open on the people and threads the demo created.
        assert session.scalar(select(func.count()).select_from(LiveEvent)) == 0
        session.close()
