"""The cloud of a prolific author of the real coffee forum (tests/fixtures, CC BY-SA) names their topics."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from portal.clouds.services import person_cloud
from portal.clouds.terms import tag_key
from portal.forums.models import Post, Thread
from portal.forums.services import thread_tags
from portal.profiles.models import Person
from portal.profiles.visibility import Viewer
from tests.test_interchange import run

COFFEE = Path(__file__).parent / "fixtures" / "coffee-forum.jsonl"


def most_prolific(session, rank: int) -> Person:
    author_id = session.scalar(select(Post.author_id).where(Post.author_id.is_not(None)).group_by(Post.author_id)
                               .order_by(func.count().desc(), Post.author_id).offset(rank).limit(1))
    return session.get(Person, author_id)


def own_thread_tag_keys(session, person: Person) -> set[str]:
    thread_ids = list(session.scalars(select(Thread.id).where(Thread.author_id == person.id)))
    return {tag_key(tag.name) for tags in thread_tags(session, thread_ids).values() for tag in tags}


def test_prolific_authors_cloud_names_the_topics_they_wrote_about(runner, session):
    result = run(runner, "import", str(COFFEE))
    assert result.exit_code == 0, result.output
    author, runner_up = most_prolific(session, 0), most_prolific(session, 1)

    cloud = person_cloud(session, author, Viewer.anonymous(), limit=15)
    labels = {term.label for term in cloud}
    assert len(cloud) == 15
    # Their questions were about moka pots (three threads), Keurig pods, decaf, caffeine, reheating…
    assert "moka" in labels
    assert len({term.key for term in cloud} & own_thread_tag_keys(session, author)) >= 5
    # "coffee" is in nearly every post of a coffee forum: it never tops anyone's cloud.
    assert max(cloud, key=lambda term: term.score).label != "coffee"

    other = person_cloud(session, runner_up, Viewer.anonymous(), limit=15)
    assert len({term.key for term in cloud} & {term.key for term in other}) <= 5
