"""The demo ecosystem generator: deterministic, realistic enough, and quick."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.auth import passwords
from portal.auth.models import User
from portal.auth.services import authenticate
from portal.companies.models import Company
from portal.db import db
from portal.demo.generator import OWNER_ID, build_ecosystem, plan_ecosystem
from portal.forums.models import ForumGroup, Post, Thread
from portal.interchange import dump_record, export_records
from portal.migrate import upgrade
from portal.profiles.models import Connection, Person
from portal.profiles.services import person_by_external_id

NOW = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_password_hashing():
    previous = passwords.configure_hasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = previous


@pytest.fixture
def fresh_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    second = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"),
                         "SECRET_KEY": "demo", "RATELIMIT_STORAGE_URI": "memory://"})
    yield second
    with second.app_context():
        db.engine.dispose()


def export_text(session) -> str:
    return "".join(dump_record(record) + "\n" for record in export_records(session))


def test_same_seed_gives_the_same_ecosystem(session, fresh_app):
    first = build_ecosystem(session, plan_ecosystem(7, 20, 80, now=NOW))
    exported = export_text(session)
    with fresh_app.app_context():
        other = db.new_session()
        second = build_ecosystem(other, plan_ecosystem(7, 20, 80, now=NOW))
        other.commit()
        assert export_text(other) == exported
        other.close()
    # Only the passwords are random.
    assert first.admin.email == second.admin.email and first.admin.password != second.admin.password
    assert plan_ecosystem(8, 20, 80, now=NOW).records != plan_ecosystem(7, 20, 80, now=NOW).records


def test_small_demo_is_plausible(session):
    result = build_ecosystem(session, plan_ecosystem(3, 20, 80, now=NOW))
    assert result.counts["company"]["created"] == 20 and result.counts["person"]["created"] == 80
    owner = session.scalar(select(Company).where(Company.external_id == OWNER_ID))
    assert owner.name == "PartnerMesh Platform Inc." and owner.partner_type == "other"

    admin_user = authenticate(session, result.admin.email, result.admin.password)
    assert admin_user.is_ecosystem_admin
    admin_person = session.scalar(select(Person).where(Person.user_id == admin_user.id))
    assert admin_person.company_id == owner.id and admin_person.company_role == "admin"
    assert len(result.members) == 5
    for member in result.members:
        user = authenticate(session, member.email, member.password)
        assert not user.is_ecosystem_admin
    assert session.scalar(select(func.count(User.id))) == 6

    for company in session.scalars(select(Company)):
        staff = list(session.scalars(select(Person).where(Person.company_id == company.id,
                                                          Person.membership_status == "active")))
        if staff:
            assert 1 <= sum(p.company_role == "admin" for p in staff) <= 2, company.name
        assert company.website.endswith(".example") and company.description.count(".") >= 3
    assert session.scalar(select(func.count()).select_from(Connection)) > 80
    people = list(session.scalars(select(Person)))
    assert all(p.email and p.email.endswith(".example") and p.region for p in people)
    assert any(p.visibility.get("email") == "public" for p in people)
    assert len({tuple(sorted(p.visibility.items())) for p in people}) >= 3  # default, all public, more private
    assert person_by_external_id(session, "demo-p0001").user_id == admin_user.id
    # The forum has conversations between the demo people, answers accepted, and a private group.
    threads = session.scalars(select(Thread)).all()
    assert len(threads) > 50 and any(t.accepted_post_id for t in threads)
    assert len({t.author_id for t in threads}) > 10
    assert session.scalar(select(func.count(Post.id))) > len(threads)
    group = session.scalars(select(ForumGroup)).one()
    assert group.name == "Partner advisory board"


def test_full_size_demo_from_the_command_line(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Log in at http" in result.output and "/login" in result.output
    admin = re.search(r"Ecosystem admin: (\S+)  password: (\S+)", result.output)
    assert admin and admin.group(1).endswith("@partnermesh.example")
    assert len(re.findall(r"Member \(.+\): \S+  password: \S+", result.output)) == 5

    with fresh_app.app_context():
        session = db.new_session()
        assert session.scalar(select(func.count(Company.id))) >= 150
        assert session.scalar(select(func.count(Person.id))) >= 800
        assert session.scalar(select(func.count()).select_from(Connection)) >= 2000
        names = list(session.scalars(select(Person.name)))
        assert any(not name.isascii() for name in names) and len(set(names)) > 500
        assert authenticate(session, admin.group(1), admin.group(2)).is_ecosystem_admin
        session.close()

    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "already has companies" in again.output
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0 and "already has companies" in refused.output
