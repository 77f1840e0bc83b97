"""The one query behind a personal feed: the newest activities among the targets a person follows.

Design (measured in benchmarks/feeds.py): "pull" rather than a per-follower inbox. Each followed
target has its activities in the index (target_kind, target_id, created_at, activity_id), so the
newest `limit` of one target below a cursor is one short index range; a page is the newest `limit`
of the union of those per-target lists (every activity of the true page is among its target's
newest `limit`). The work is bounded by follows × limit index entries, however many activities
exist and however deep the page. An inbox (one row per follower per activity) reads faster still
but multiplies every write by the follower count, needs back-filling on follow and cleaning on
unfollow, and has to be rewritten when a thread moves into a private group.

Time windows keep that bound small: the query first looks at a short span of time before the
cursor (most followed targets have nothing there, so each costs one index seek and no rows) and
widens the span eightfold until the page is full or the span reaches back past the oldest
activity.

PostgreSQL runs it as a LATERAL join over the target list; SQLite has no LATERAL, so there a
correlated `rowid IN (… LIMIT n)` subquery per json_each row does the same. Both statement texts
are constant, whatever the number of targets, so they are prepared once.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, TEXT
from sqlalchemy.orm import Session

from portal.db import UTCDateTime
from portal.feeds.cursor import FeedCursor
from portal.feeds.models import TARGET_KINDS, Activity

FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
MAX_ID = 2**62
FIRST_WINDOW = timedelta(hours=6)
WIDEN = 8
FAMILIES = ("forum", "documents", "network", "status")

_KEYSET = ("s.created_at > :lower AND s.created_at <= :c_at AND (s.created_at < :c_at OR s.activity_id < :c_id)"
           " AND (s.group_id IS NULL OR :all_groups OR s.group_id IN (SELECT value FROM {groups}))"
           " AND (:all_families OR s.verb_family IN (SELECT value FROM {families}))")

# The targets to read: a list passed in, or (for a personal feed) the follow table itself plus the
# reader as a person, so that the follow list never travels to Python and back.
_FOLLOWS = "SELECT target_kind, target_id FROM feed_follows WHERE person_id = :reader UNION SELECT 'person', :reader"
_SQLITE_TARGETS = {"list": "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:targets)",
                   "follows": _FOLLOWS}
_POSTGRES_TARGETS = {"list": "SELECT * FROM unnest(:kinds, :ids)", "follows": _FOLLOWS}

_SQLITE = ("WITH f(kind, id) AS ({targets})"  # noqa: S608 - constant text
           " SELECT t.activity_id, t.created_at FROM f"
           " JOIN feed_activity_targets AS t ON t.rowid IN ("
           " SELECT s.rowid FROM feed_activity_targets AS s WHERE s.target_kind = f.kind AND s.target_id = f.id"
           " AND " + _KEYSET.format(groups="json_each(:groups)", families="json_each(:families)") +
           " ORDER BY s.created_at DESC, s.activity_id DESC LIMIT :n)"
           " GROUP BY t.activity_id, t.created_at ORDER BY t.created_at DESC, t.activity_id DESC LIMIT :n")

_POSTGRES = ("WITH f(kind, id) AS ({targets})"  # noqa: S608 - constant text
             " SELECT DISTINCT ON (x.created_at, x.activity_id) x.activity_id, x.created_at"
             " FROM f CROSS JOIN LATERAL ("
             " SELECT s.activity_id, s.created_at FROM feed_activity_targets AS s"
             " WHERE s.target_kind = f.kind AND s.target_id = f.id AND "
             + _KEYSET.format(groups="unnest(CAST(:groups AS bigint[])) AS g(value)",
                              families="unnest(CAST(:families AS text[])) AS v(value)") +
             " ORDER BY s.created_at DESC, s.activity_id DESC LIMIT :n) AS x"
             " ORDER BY x.created_at DESC, x.activity_id DESC LIMIT :n")


def _statement(postgres: bool, source: str):
    types = [bindparam("c_at", type_=UTCDateTime()), bindparam("lower", type_=UTCDateTime())]
    if postgres:
        types += [bindparam("groups", type_=ARRAY(BIGINT)), bindparam("families", type_=ARRAY(TEXT))]
        if source == "list":
            types += [bindparam("kinds", type_=ARRAY(TEXT)), bindparam("ids", type_=ARRAY(BIGINT))]
        sql = _POSTGRES.format(targets=_POSTGRES_TARGETS[source])
    else:
        sql = _SQLITE.format(targets=_SQLITE_TARGETS[source])
    return text(sql).bindparams(*types).columns(activity_id=BigInteger, created_at=UTCDateTime())


_STATEMENTS = {(postgres, source): _statement(postgres, source)
               for postgres in (True, False) for source in ("list", "follows")}


def _params(postgres: bool, targets: Sequence[tuple[str, int]] | None, reader_id: int | None,
            groups: Collection[int] | None, families: Collection[str] | None) -> dict:
    group_ids = sorted(int(g) for g in groups or ())
    family_names = sorted(f for f in families or () if f in FAMILIES)
    params = {"all_groups": groups is None, "all_families": families is None}
    if postgres:
        params.update(groups=group_ids, families=family_names)
    else:
        params.update(groups=json.dumps(group_ids), families=json.dumps(family_names))
    if targets is None:
        params["reader"] = int(reader_id)
        return params
    targets = [(kind, int(target_id)) for kind, target_id in targets if kind in TARGET_KINDS]
    if postgres:
        params.update(kinds=[k for k, _ in targets], ids=[i for _, i in targets])
    else:
        params["targets"] = json.dumps(targets)
    return params


def oldest_activity_time(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Activity.created_at)))


def newest_activity_time(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Activity.created_at)))


def _next_window(window: timedelta, wanted: int, got: int) -> timedelta:
    """Eightfold after an empty span; otherwise as long as this span's density says the rest of the
    page needs (with a margin), between two- and eightfold."""
    if got == 0:
        return window * WIDEN
    return window * min(WIDEN, max(2.0, 1.5 * (wanted - got) / got))


def newest_for_targets(session: Session, targets: Sequence[tuple[str, int]] | None, *,
                       before: FeedCursor | None, limit: int, groups: Collection[int] | None,
                       families: Collection[str] | None, reader_id: int | None = None) -> list[tuple[int, datetime]]:
    """(activity_id, created_at) of the newest distinct activities about any of `targets` (or, with
    targets None, about what `reader_id` follows and the reader themself), strictly older than
    `before`, newest first. `groups`: the private groups whose activities may appear (None: all).
    `families`: verb families to keep (None: all)."""
    if (targets is not None and not targets) or limit < 1:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = _STATEMENTS[(postgres, "list" if targets is not None else "follows")]
    params = _params(postgres, targets, reader_id, groups, families)
    newest = newest_activity_time(session)
    if newest is None:
        return []
    upper_at, upper_id = (before.created_at, before.activity_id) if before else (FAR_FUTURE, MAX_ID)
    span_end = min(upper_at, newest)
    window = FIRST_WINDOW
    oldest: datetime | None = None
    found: list[tuple[int, datetime]] = []
    while len(found) < limit:
        lower = span_end - window
        if oldest is None and window > FIRST_WINDOW:  # only feeds sparser than one window get here
            oldest = oldest_activity_time(session)
        if oldest is not None and lower < oldest:
            lower = FAR_PAST  # the last span: everything older
        wanted = limit - len(found)
        rows = session.execute(statement, {**params, "c_at": upper_at, "c_id": upper_id, "lower": lower,
                                           "n": wanted}).all()
        found += [(int(row[0]), row[1]) for row in rows]
        if lower == FAR_PAST:
            break
        # The next span ends where this one began (that instant included, it was excluded here).
        upper_at, upper_id, span_end = lower, MAX_ID, lower
        window = _next_window(window, wanted, len(rows))
    return found
