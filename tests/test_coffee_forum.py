"""The real coffee forum (tests/fixtures/coffee-forum.jsonl, CC BY-SA 3.0) through search and tag clouds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from portal.clouds.services import person_cloud
from portal.db import db
from portal.forums.models import Post
from portal.forums.services import thread_tags
from portal.interchange.core import import_records, validate_file
from portal.profiles.models import Person
from portal.profiles.visibility import Viewer
from portal.search import services as search
from portal.search.query import build_query
from tests.test_search import backend  # noqa: F401 - the per-backend index fixture

COFFEE = Path(__file__).parent / "fixtures" / "coffee-forum.jsonl"


def test_coffee_forum_is_searchable_and_clouds_name_what_people_wrote_about(app, backend):  # noqa: F811
    with app.app_context():
        s = db.session
        records, errors, _ = validate_file(COFFEE, session=s)
        assert errors == []
        import_records(s, records)
        db.commit()

        def titles(text: str) -> list[str]:
            return [h.title for h in search.search(s, Viewer.anonymous(), build_query(text, kind="thread")).hits]

        assert "How should I store whole bean coffee?" in titles("storing beans")  # stemming: store/storing
        assert any("moka" in t.lower() for t in titles('"moka pot"'))
        assert search.search(s, Viewer.anonymous(), build_query("aeropres")).suggestion == "aeropress"

        # The most prolific author's cloud names the topics of the threads they wrote in.
        author_id, _ = s.execute(select(Post.author_id, func.count()).group_by(Post.author_id)
                                 .order_by(func.count().desc()).limit(1)).one()
        author = s.get(Person, author_id)
        threads = set(s.scalars(select(Post.thread_id).where(Post.author_id == author_id)))
        topics = Counter(t.name for tags in thread_tags(s, threads).values() for t in tags)
        cloud = {term.label for term in person_cloud(s, author, Viewer.anonymous())}
        top = [name for name, _ in topics.most_common(5)]
        assert len(cloud & set(top)) >= 2, (top, cloud)
        # ... and nothing else: every term is one of those tags or a word of the author's own posts.
        written = " ".join(s.scalars(select(Post.body).where(Post.author_id == author_id))).lower()
        assert all(label in topics or label.lower() in written for label in cloud), cloud
