"""After-commit wiring: forum and profile events mark work; the work runs once per app context.

An import that commits ten thousand posts publishes ten thousand events; handling each alone
would recompute a prolific author's terms thousands of times. So the handlers only collect ids
(in `g`), and the collected work runs when the app context ends — after the response of a
request, at the end of a CLI command, or right after the events of a commit made outside a
request. Very large batches rebuild everything instead, which is faster than going post by post.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask, current_app, g, has_app_context

from portal import events
from portal.clouds.cache import CloudCache

log = logging.getLogger(__name__)
FULL_REBUILD_ABOVE = 5000  # posts in one batch


@dataclass
class _Pending:
    post_ids: set[int] = field(default_factory=set)
    thread_ids: set[int] = field(default_factory=set)
    person_ids: set[int] = field(default_factory=set)
    company_ids: set[int] = field(default_factory=set)


def cache_of(app: Flask) -> CloudCache:
    return app.extensions["clouds_cache"]


def init_app(app: Flask) -> None:
    app.extensions["clouds_cache"] = CloudCache()
    events.subscribe("forum.post.changed", _on_post_changed)
    events.subscribe("forum.thread.changed", _on_thread_changed)
    events.subscribe("person.changed", _on_person_changed)
    events.subscribe("company.changed", _on_company_changed)
    app.teardown_appcontext(_run_pending)


def _pending() -> _Pending:
    if "clouds_pending" not in g:
        g.clouds_pending = _Pending()
    return g.clouds_pending


def _on_post_changed(event: dict) -> None:
    if has_app_context() and "clouds_cache" in current_app.extensions:
        _pending().post_ids.add(int(event["post_id"]))


def _on_thread_changed(event: dict) -> None:
    if has_app_context() and "clouds_cache" in current_app.extensions:
        _pending().thread_ids.add(int(event["thread_id"]))


def _on_person_changed(event: dict) -> None:
    if has_app_context() and "clouds_cache" in current_app.extensions:
        _pending().person_ids.add(int(event["person_id"]))


def _on_company_changed(event: dict) -> None:
    if has_app_context() and "clouds_cache" in current_app.extensions:
        _pending().company_ids.add(int(event["company_id"]))


def _run_pending(_exc: BaseException | None) -> None:
    pending: _Pending | None = g.pop("clouds_pending", None)
    if pending is None or "clouds_cache" not in current_app.extensions:
        return
    try:
        apply_pending(current_app._get_current_object(), pending)
    except Exception:  # noqa: BLE001 - the change is committed; a rebuild repairs the clouds
        log.exception("updating tag clouds failed; run `portal clouds rebuild`")


def apply_pending(app: Flask, pending: _Pending) -> None:
    from portal.clouds.indexer import refresh_people_tags, refresh_posts, thread_post_ids
    from portal.clouds.rebuild import rebuild_all
    from portal.db import db

    session = db.new_session()
    try:
        post_ids = pending.post_ids | set(thread_post_ids(session, pending.thread_ids))
        rebuilt = len(post_ids) > FULL_REBUILD_ABOVE
        if rebuilt:
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
    forum_changed = bool(people or categories)
    # Company clouds merge members' clouds and the ecosystem cloud merges everything: any change drops them.
    cache.invalidate(lambda key: (key[0] == "person" and key[1] in people)
                     or (key[0] == "category" and key[1] in categories)
                     or key[0] == "company" and (forum_changed or bool(pending.company_ids))
                     or key[0] == "ecosystem" and bool(touched.category_ids))
