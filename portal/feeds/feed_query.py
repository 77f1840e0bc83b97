"""The one query behind a personal feed: the newest activities among the targets a person follows.

Design (measured in benchmarks/feeds.py): "pull" rather than a per-follower inbox. Each followed
target has its activities in the index (target_kind, target_id, created_at, activity_id), so the
newest `limit` of one target below a cursor is one short index range; a page is the newest `limit`
of the union of those per-target lists. Every activity of the true page is among its target's
newest `limit`, so the union holds the page and the work is bounded by follows × limit rows,
however many activities exist and however deep the page. An inbox (one row per follower per
activity) reads faster still but multiplies writes by the follower count, needs back-filling on
follow and cleaning on unfollow, and has to be rewritten when a thread moves into a private
group; the pull query stays under the 50 ms target without that.

PostgreSQL runs it as a LATERAL join over the follow list (one statement text, planned once);
SQLite has no LATERAL, so there it is a UNION ALL of one LIMITed subquery per target.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, TEXT
from sqlalchemy.orm import Session

from portal.db import UTCDateTime
from portal.feeds.cursor import FeedCursor

FAR_FUTURE = datetime(9999, 1, 1)
MAX_ID = 2**62


def _filters(groups: Collection[int] | None, families: Collection[str] | None, alias: str) -> str:
    """SQL conditions for private groups and verb families. Values are ints we built and
    families from a fixed list (checked by the caller), so they are safe to inline."""
    parts = []
    if groups is not None:
        allowed = ",".join(str(int(g)) for g in sorted(groups))
        parts.append(f"({alias}.group_id IS NULL" + (f" OR {alias}.group_id IN ({allowed}))" if allowed else ")"))
    if families is not None:
        parts.append(f"{alias}.verb_family IN ({','.join(repr(str(f)) for f in sorted(families))})")
    return "".join(f" AND {p}" for p in parts)


def newest_for_targets(session: Session, targets: Sequence[tuple[str, int]], *, before: FeedCursor | None,
                       limit: int, groups: Collection[int] | None,
                       families: Collection[str] | None) -> list[tuple[int, datetime]]:
    """(activity_id, created_at) of the newest distinct activities about any of `targets`, strictly
    older than `before`, newest first. `groups`: the private groups whose activities may appear
    (None: all). `families`: verb families to keep (None: all)."""
    if not targets or limit < 1:
        return []
    at, last_id = (before.created_at, before.activity_id) if before else (FAR_FUTURE, MAX_ID)
    params = {"c_at": at, "c_id": last_id, "n": limit}
    keyset = "t.created_at <= :c_at AND (t.created_at < :c_at OR t.activity_id < :c_id)"
    extra = _filters(groups, families, "t")
    if session.get_bind().dialect.name == "postgresql":
        sql = (
            "SELECT DISTINCT ON (x.created_at, x.activity_id) x.activity_id, x.created_at"  # noqa: S608 - ints inlined
            " FROM unnest(:kinds, :ids) AS f(kind, id) CROSS JOIN LATERAL ("
            " SELECT t.activity_id, t.created_at FROM feed_activity_targets t"
            f" WHERE t.target_kind = f.kind AND t.target_id = f.id AND {keyset}{extra}"
            " ORDER BY t.created_at DESC, t.activity_id DESC LIMIT :n) AS x"
            " ORDER BY x.created_at DESC, x.activity_id DESC LIMIT :n")
        params.update(kinds=[k for k, _ in targets], ids=[int(i) for _, i in targets])
        stmt = text(sql).bindparams(bindparam("kinds", type_=ARRAY(TEXT)), bindparam("ids", type_=ARRAY(BIGINT)))
    else:
        members = []
        for index, (kind, target_id) in enumerate(targets):
            params[f"k{index}"] = kind
            members.append(
                "SELECT * FROM (SELECT t.activity_id, t.created_at FROM feed_activity_targets t"  # noqa: S608
                f" WHERE t.target_kind = :k{index} AND t.target_id = {int(target_id)} AND {keyset}{extra}"
                " ORDER BY t.created_at DESC, t.activity_id DESC LIMIT :n)")
        sql = (f"SELECT DISTINCT u.activity_id, u.created_at FROM ({' UNION ALL '.join(members)}) AS u"  # noqa: S608
               " ORDER BY u.created_at DESC, u.activity_id DESC LIMIT :n")
        stmt = text(sql)
    stmt = stmt.bindparams(bindparam("c_at", type_=UTCDateTime()))
    stmt = stmt.columns(activity_id=BIGINT, created_at=UTCDateTime())
    return [(int(row[0]), row[1]) for row in session.execute(stmt, params)]
