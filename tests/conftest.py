"""Shared fixtures: a migrated database per run, a rolled-back transaction per test.

The suite runs on SQLite by default and on PostgreSQL when PORTAL_TEST_BACKEND=postgres
and PORTAL_TEST_DATABASE_URL are set (`make test` does both when the URL is there).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from portal import create_app
from portal.config import normalize_database_url
from portal.db import db
from portal.extensions import limiter
from portal.migrate import scratch_postgres_database, upgrade

REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES") == "1"


def service_missing(what: str) -> None:
    """Skip, or fail when CI demands every service (PORTAL_REQUIRE_SERVICES=1)."""
    message = f"{what} is not available"
    if REQUIRE_SERVICES:
        pytest.fail(message + " but PORTAL_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def _postgres_url() -> str | None:
    if os.environ.get("PORTAL_TEST_BACKEND") != "postgres":
        return None
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not url:
        service_missing("PostgreSQL (PORTAL_TEST_DATABASE_URL)")
    return normalize_database_url(url)



@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _postgres_url()
    drop = None
    if url is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url, drop = scratch_postgres_database(url, "portal_test")
    upgrade(url)
    yield url
    if drop is not None:
        drop()  # WITH (FORCE) closes the app's pooled connections too


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "DEV_OUTBOX_PAGE": True,
        "SMTP_HOST": "",
        "SEARCH_BACKGROUND_REBUILD": False,
        # Signing keys made in a test are rolled back with it: never serve them from the cache.
        "OIDC_KEY_CHECK_SECONDS": 0,
    })
    # An empty index to start from (the database starts empty too), so that no test triggers a
    # background rebuild on the shared test connection; search tests use their own index.
    application.extensions["portal_search"].rebuild(None, [])
    return application


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Every test runs inside one transaction that is rolled back afterwards."""
    if "live_server" in request.fixturenames:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.bind_to(connection)
        limiter.reset()
    try:
        yield
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def session(app):
    """A database session, as a service sees it.

    No app context stays pushed: the test client's requests get their own context and `g`,
    as in production (a shared `g` would leak the logged-in user from one request to the next).
    """
    with app.app_context():
        test_session = db.new_session()
    yield test_session
    test_session.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox_dir(app) -> Path:
    return Path(app.instance_path) / "outbox"


def extract_link(text_body: str, path_fragment: str) -> str:
    """The first URL path in a mail body that contains `path_fragment`."""
    match = re.search(r"https?://[^/\s]+(/\S*?" + re.escape(path_fragment.lstrip("/")) + r"\S*)", text_body)
    assert match, f"no link with {path_fragment!r} in mail:\n{text_body}"
    return match.group(1)


# --- Browser tests: a real server on loopback and headless Chromium ---------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class LiveServer:
    """The portal served by werkzeug in a thread, on its own migrated SQLite database."""

    def __init__(self, app, server, thread):
        self.app, self._server, self._thread = app, server, thread
        self.url = f"http://127.0.0.1:{server.server_port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


# Apps served on loopback keep rate limiting on, with limits no test reaches. Flask-Limiter keeps
# its settings on the one shared Limiter (not per app), so an app made with RATELIMIT_ENABLED=False
# would switch rate limiting off for every later test of the run (the login 429 tests).
LIVE_RATE_LIMITS = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                    "RATELIMIT_LOGIN": "10000/minute", "RATELIMIT_SIGNUP": "10000/minute",
                    "RATELIMIT_MAIL": "10000/minute"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    import threading

    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'live.db'}"
    upgrade(url)
    live_app = create_app({
        "TESTING": False, "DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "live-secret",
        "DEV_OUTBOX_PAGE": True, "SMTP_HOST": "", **LIVE_RATE_LIMITS,
    })
    live_app.extensions["portal_search"].rebuild(None, [])
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    # The issuer (OpenID Provider) and mail links name the address clients really reach.
    live_app.config["SERVER_NAME_FOR_MAIL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = LiveServer(live_app, server, thread)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("Playwright for Python")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    browser_page = context.new_page()
    browser_page.set_default_timeout(10_000)
    yield browser_page
    context.close()
