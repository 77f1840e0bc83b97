"""After-commit wiring: the events of one commit update the term tables in one batch.

An import that commits ten thousand posts publishes ten thousand events at once; handled one by
one, a prolific author's terms would be recomputed thousands of times. So the clouds subscribe
to whole batches (`events.subscribe_batch`): each post, thread and person is refreshed once per
commit, and a very large batch rebuilds everything, which is faster than going post by post.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask, current_app

from portal import events
from portal.clouds.cache import CloudCache

log = logging.getLogger(__name__)
FULL_REBUILD_ABOVE = 5000  # posts in one batch


@dataclass
class Pending:
    post_ids: set[int] = field(default_factory=set)
    thread_ids: set[int] = field(default_factory=set)
    person_ids: set[int] = field(default_factory=set)
    company_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.post_ids or self.thread_ids or self.person_ids or self.company_ids)


def cache_of(app: Flask) -> CloudCache:
    return app.extensions["clouds_cache"]


def init_app(app: Flask) -> None:
    app.extensions["clouds_cache"] = CloudCache()
    events.subscribe_batch(_on_commit)


def pending_from(batch: list[dict]) -> Pending:
    pending = Pending()
    for event in batch:
        name = event["event"]
        if name == "forum.post.changed":
            pending.post_ids.add(int(event["post_id"]))
        elif name == "forum.thread.changed":
            pending.thread_ids.add(int(event["thread_id"]))
        elif name == "person.changed":
            pending.person_ids.add(int(event["person_id"]))
        elif name == "company.changed":
            pending.company_ids.add(int(event["company_id"]))
    return pending


def _on_commit(batch: list[dict]) -> None:
    # Subscribers are process-wide; an app without clouds (none today) has nothing to update.
    if "clouds_cache" not in current_app.extensions:
        return
    pending = pending_from(batch)
    if pending:
        try:
            apply_pending(current_app._get_current_object(), pending)
        except Exception:  # noqa: BLE001 - the change itself is committed; a rebuild repairs the clouds
            log.exception("updating tag clouds failed; `portal clouds rebuild` repairs them")


def apply_pending(app: Flask, pending: Pending) -> None:
    from portal.clouds.indexer import refresh_people_tags, refresh_posts, thread_post_ids
    from portal.clouds.rebuild import rebuild_all
    from portal.db import db

    session = db.new_session(writes=True)
    try:
        post_ids = pending.post_ids | set(thread_post_ids(session, pending.thread_ids))
        if len(post_ids) > FULL_REBUILD_ABOVE:
            stats = rebuild_all(session)
            log.info("tag clouds rebuilt after a batch of %d posts in %.1f s", len(post_ids), stats.seconds)
            touched = None
        else:
            touched = refresh_posts(session, post_ids)
            refresh_people_tags(session, pending.person_ids)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    cache = cache_of(app)
    if touched is None:
        cache.clear()
        return
    people = touched.person_ids | pending.person_ids
    categories = touched.category_ids
    # Company clouds merge members' clouds and the ecosystem cloud merges all posts: changes drop them.
    company_changed = bool(people or categories or pending.company_ids)
    cache.invalidate(lambda key: (key[0] == "person" and key[1] in people)
                     or (key[0] == "category" and key[1] in categories)
                     or (key[0] == "company" and company_changed)
                     or (key[0] == "ecosystem" and bool(categories)))
