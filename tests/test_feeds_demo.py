"""After `portal demo`, the people with accounts follow things and their dashboard feed has items;
the demo's thousands of forum events become activities in one batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal.auth import passwords
from portal.demo.follows import build_follows
from portal.demo.generator import build_ecosystem, plan_ecosystem
from portal.feeds import services
from portal.feeds.models import Activity
from portal.forums.models import Post
from portal.profiles.models import Person
from portal.profiles.visibility import Viewer

NOW = datetime(2026, 1, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast_password_hashing():
    previous = passwords.configure_hasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = previous


def test_demo_people_follow_things_and_see_a_feed(session):
    result = build_ecosystem(session, plan_ecosystem(3, 10, 40, now=NOW))
    counts = build_follows(session, seed=3)["follow"]
    session.commit()  # one commit: the batch handler records every post's activity at once
    assert counts["company"] > 0 and counts["thread"] > 0 and counts["tag"] > 0
    visible_posts = session.scalar(select(func.count(Post.id)).where(Post.deleted_at.is_(None)))
    assert session.scalar(select(func.count(Activity.id)).where(Activity.verb.in_(
        ["forum.thread", "forum.reply"]))) == visible_posts
    for member in result.members:
        person = session.scalar(select(Person).where(Person.email == member.email))
        page = services.personal_feed(session, Viewer(person_id=person.id, is_member=True))
        assert page.items, f"{member.name}'s feed is empty"
