"""`portal demo` names its owner company, so the health report counts the owner's staff."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.admin.owner import owner_company_id
from portal.auth import passwords
from portal.companies.services import company_by_external_id
from portal.db import db
from portal.demo.generator import OWNER_ID
from portal.health.services import health_report
from portal.migrate import upgrade


@pytest.fixture(autouse=True)
def fast_password_hashing():
    previous = passwords.configure_hasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = previous


def test_demo_sets_the_owner_company(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": "demo", "RATELIMIT_STORAGE_URI": "memory://", "SEARCH_BACKGROUND_REBUILD": False})
    result = app.test_cli_runner().invoke(args=["demo", "--companies", "6", "--people", "30"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.new_session()
        owner = company_by_external_id(session, OWNER_ID)
        assert owner_company_id(session) == owner.id
        report = health_report(session)
        assert report.owner_company == (owner.id, owner.name) and report.owner_staff >= 2
        assert report.overall.interactions > 0 and report.overall.members > 0
        session.close()
