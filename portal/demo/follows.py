"""Follows for the demo people who have accounts, so the dashboard feed is not empty after
`portal demo`: each follows their company, some of the people they are connected to, a few of
their interests and needs as tags, and some recent forum threads they did not start.

Runs after the ecosystem is stored (same transaction); the feed's activities come from the
forum, connection and introduction events of that commit.
"""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.demo import bulk
from portal.profiles.models import Person
from portal.profiles.services import connection_ids, person_tags
from portal.profiles.visibility import Viewer

PEOPLE_PER_PERSON, TAGS_PER_PERSON, THREADS_PER_PERSON = 4, 3, 4


def build_follows(session: Session, *, seed: int) -> dict[str, Counter]:
    """Follows for every demo person with an account. Returns counts per kind of target."""
    from portal.forums.listing import recent_threads

    rng = random.Random(seed * 7919 + 17)
    people = list(session.scalars(select(Person).where(Person.user_id.is_not(None)).order_by(Person.id)))
    tags = person_tags(session, [p.id for p in people])
    threads = [row.thread for row in recent_threads(session, Viewer(is_member=True), limit=40)]
    follows: list[tuple[int, str, int]] = []
    for person in people:
        wanted: list[tuple[str, int]] = []
        if person.company_id is not None:
            wanted.append(("company", person.company_id))
        contacts = sorted(connection_ids(session, person.id))
        wanted += [("person", pid) for pid in rng.sample(contacts, min(PEOPLE_PER_PERSON, len(contacts)))]
        by_kind = tags.get(person.id, {})
        own_tags = sorted({t.id for kind in ("interest", "need", "skill") for t in by_kind.get(kind, [])})
        wanted += [("tag", tid) for tid in rng.sample(own_tags, min(TAGS_PER_PERSON, len(own_tags)))]
        others = [t.id for t in threads if t.author_id != person.id]
        wanted += [("thread", tid) for tid in rng.sample(others, min(THREADS_PER_PERSON, len(others)))]
        follows += [(person.id, kind, target_id) for kind, target_id in wanted]
    return {"follow": bulk.insert_follows(session, follows)}
