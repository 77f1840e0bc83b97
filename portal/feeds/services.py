"""Follow people, companies, threads, tags and documents; record activities; read feeds.

Services take a session and plain values, flush and never commit. Who may see an activity is
decided in one place, `visible_to` (and, for whole pages, the same rules pushed into the query).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from portal.db import queue_event, utcnow
from portal.errors import DomainError
from portal.feeds.cursor import FeedCursor, decode_cursor, encode_cursor
from portal.feeds.feed_query import newest_for_targets
from portal.feeds.models import TARGET_KINDS, Activity, ActivityTarget, Follow
from portal.profiles.visibility import Viewer

MAX_PAGE = 100
MAX_TITLE, MAX_SUMMARY, MAX_URL = 300, 2000, 500
IN_CHUNK = 500  # values per IN list: SQLite limits bound parameters per statement
# The feed filters: a verb's family is the part before its first dot, grouped as people see them.
VERB_FAMILIES = {
    "forum": "forum",
    "document": "documents",
    "introduction": "network", "partnership": "network", "connection": "network",
}
FAMILY_STATUS = "status"  # anything else: status updates posted by people or member systems
FEED_FILTERS = {
    "forum": "Forum",
    "documents": "Documents",
    "network": "Introductions & partnerships",
    FAMILY_STATUS: "Status updates",
}


@dataclass
class FeedPage:
    items: list[Activity]
    next_cursor: str | None
    filters: list[str] = field(default_factory=list)


def verb_family(verb: str) -> str:
    return VERB_FAMILIES.get(verb.split(".", 1)[0], FAMILY_STATUS)


def _safe_link(url: str) -> bool:
    """Feeds show the link as-is: only site paths and web addresses (never javascript: and the like)."""
    if any(ord(char) < 33 or ord(char) == 127 for char in url) or "\\" in url:
        return False
    if url.startswith("/"):
        return not url.startswith("//")
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_kind(kind: str) -> str:
    if kind not in TARGET_KINDS:
        raise DomainError(f"One can follow {', '.join(TARGET_KINDS)}, not {kind!r}.", field="kind")
    return kind


# --- following ----------------------------------------------------------------------------------

def follow(session: Session, person, kind: str, target_id: int, *, viewer: Viewer | None = None) -> bool:
    """Follow a target (idempotent). Returns whether a new follow was made. With `viewer`, the
    target must exist and be visible to them (a private group's thread cannot be followed from
    outside it)."""
    from portal.feeds.targets import check_followable

    _check_kind(kind)
    target_id = int(target_id)
    check_followable(session, kind, target_id, viewer)
    if kind == "person" and target_id == person.id:
        raise DomainError("You cannot follow yourself.")
    if session.get(Follow, (person.id, kind, target_id)) is not None:
        return False
    session.add(Follow(person_id=person.id, target_kind=kind, target_id=target_id))
    session.flush()
    return True


def unfollow(session: Session, person, kind: str, target_id: int) -> bool:
    """Stop following (idempotent). Returns whether there was a follow to remove."""
    _check_kind(kind)
    result = session.execute(delete(Follow).where(Follow.person_id == person.id, Follow.target_kind == kind,
                                                  Follow.target_id == int(target_id)))
    session.flush()
    return bool(result.rowcount)


def is_following(session: Session, person_id: int | None, kind: str, target_id: int) -> bool:
    if person_id is None:
        return False
    return session.get(Follow, (person_id, kind, int(target_id))) is not None


def followers_of(session: Session, kind: str, target_id: int) -> list[int]:
    """Ids of the people who follow this target."""
    return list(session.scalars(select(Follow.person_id).where(
        Follow.target_kind == kind, Follow.target_id == int(target_id)).order_by(Follow.person_id)))


def followers_of_targets(session: Session, targets: Iterable[tuple[str, int]]) -> dict[tuple[str, int], list[int]]:
    """`followers_of` for many targets with a few queries: (kind, id) → follower ids (every target
    asked for is a key, with an empty list when nobody follows it)."""
    wanted = {(kind, int(target_id)) for kind, target_id in targets}
    found: dict[tuple[str, int], list[int]] = {key: [] for key in wanted}
    by_kind: dict[str, list[int]] = {}
    for kind, target_id in sorted(wanted):
        by_kind.setdefault(kind, []).append(target_id)
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start:start + IN_CHUNK]
            for target_id, person_id in session.execute(
                    select(Follow.target_id, Follow.person_id).where(Follow.target_kind == kind,
                                                                     Follow.target_id.in_(chunk))
                    .order_by(Follow.target_id, Follow.person_id)):
                found[(kind, target_id)].append(person_id)
    return found


def follows_of(session: Session, person_id: int) -> list[tuple[str, int]]:
    """What this person follows, as (kind, id)."""
    return [(k, i) for k, i in session.execute(select(Follow.target_kind, Follow.target_id).where(
        Follow.person_id == person_id).order_by(Follow.created_at.desc()))]


# --- recording ----------------------------------------------------------------------------------

@dataclass
class ActivitySpec:
    """The fields of one activity to record (see record_activity)."""

    verb: str
    title: str
    url: str
    targets: list[tuple[str, int]]
    actor_person_id: int | None = None
    actor_company_id: int | None = None
    actor_client_id: str | None = None
    company_id: int | None = None
    group_id: int | None = None
    summary: str = ""
    data: dict | None = None
    members_only: bool = True
    audience: list[int] | None = None
    source_key: str | None = None
    created_at: datetime | None = None


def record_activity(session: Session, *, verb: str, title: str, url: str, targets: Iterable[tuple[str, int]],
                    actor_person_id: int | None = None, actor_company_id: int | None = None,
                    actor_client_id: str | None = None, company_id: int | None = None,
                    group_id: int | None = None, summary: str = "", data: dict | None = None,
                    members_only: bool = True, audience: list[int] | None = None,
                    source_key: str | None = None, created_at: datetime | None = None) -> Activity:
    """Write an activity and what it is about; flushes and queues "feed.activity".

    The actor (person) and the company whose feed it shows in are targets too, so their
    followers see it. `members_only=False` only for what visitors may read anyway (a public
    forum category); `audience` limits it to those people."""
    spec = ActivitySpec(verb=verb, title=title, url=url, targets=list(targets), actor_person_id=actor_person_id,
                        actor_company_id=actor_company_id, actor_client_id=actor_client_id, company_id=company_id,
                        group_id=group_id, summary=summary, data=data, members_only=members_only,
                        audience=audience, source_key=source_key, created_at=created_at)
    return record_activities(session, [spec])[0]


def _checked(spec: ActivitySpec) -> tuple[dict, set[tuple[str, int]]]:
    verb, title, summary = (spec.verb or "").strip(), (spec.title or "").strip(), spec.summary or ""
    if not verb or len(verb) > 40:
        raise DomainError("An activity needs a verb of at most 40 characters.", field="verb")
    if not title:
        raise DomainError("An activity needs a title.", field="title")
    if len(title) > MAX_TITLE:
        title = title[:MAX_TITLE - 1] + "…"
    if len(summary) > MAX_SUMMARY:
        raise DomainError(f"The summary can be at most {MAX_SUMMARY} characters.", field="summary")
    url = (spec.url or "").strip()
    if len(url) > MAX_URL:
        raise DomainError(f"The link can be at most {MAX_URL} characters.", field="url")
    if url and not _safe_link(url):
        raise DomainError("The link must be a path on this portal or an http(s) address.", field="url")
    about = {(_check_kind(kind), int(target_id)) for kind, target_id in spec.targets}
    if spec.actor_person_id is not None:
        about.add(("person", int(spec.actor_person_id)))
    if spec.company_id is not None:
        about.add(("company", int(spec.company_id)))
    row = {"verb": verb, "verb_family": verb_family(verb), "title": title, "summary": summary, "url": url,
           "actor_person_id": spec.actor_person_id, "actor_company_id": spec.actor_company_id,
           "actor_client_id": spec.actor_client_id, "company_id": spec.company_id, "group_id": spec.group_id,
           "members_only": spec.members_only or spec.audience is not None,
           "audience": sorted({int(p) for p in spec.audience}) if spec.audience is not None else None,
           "source_key": spec.source_key, "data": spec.data or {}, "created_at": spec.created_at or utcnow()}
    return row, about


def record_activities(session: Session, specs: Iterable[ActivitySpec]) -> list[Activity]:
    """Record many activities with two statements in all (a bulk import's thousands of events)."""
    checked = [_checked(spec) for spec in specs]
    if not checked:
        return []
    # An ORM bulk INSERT … RETURNING: the rows go in as executemany batches and come back as Activity
    # objects in the order given, without the unit of work's bookkeeping per object (a demo-sized
    # commit records thousands). https://docs.sqlalchemy.org/en/20/orm/queryguide/dml.html#orm-bulk-insert-statements
    activities = list(session.scalars(insert(Activity).returning(Activity, sort_by_parameter_order=True),
                                      [row for row, _ in checked]))
    # Target rows need no ORM identity: one executemany insert.
    session.execute(insert(ActivityTarget), [
        {"activity_id": activity.id, "target_kind": kind, "target_id": target_id, "created_at": activity.created_at,
         "group_id": activity.group_id, "verb_family": activity.verb_family}
        for activity, (_, about) in zip(activities, checked, strict=True) for kind, target_id in sorted(about)])
    for activity, (_, about) in zip(activities, checked, strict=True):
        queue_event(session, "feed.activity", {
            "activity_id": activity.id, "verb": activity.verb, "company_id": activity.company_id,
            "group_id": activity.group_id, "actor_person_id": activity.actor_person_id,
            "targets": [[kind, target_id] for kind, target_id in sorted(about)]})
    return activities


# --- reading ------------------------------------------------------------------------------------

def _viewer_groups(session: Session, viewer: Viewer) -> set[int] | None:
    """The private groups whose activities this viewer may see; None means all (ecosystem admins)."""
    from portal.forums.access import group_ids_of

    if viewer.is_ecosystem_admin:
        return None
    return group_ids_of(session, viewer.person_id)


def visible_to(session: Session, viewer: Viewer, activity: Activity, *,
               groups: Collection[int] | None | bool = False) -> bool:
    """Whether this viewer may see this activity: not hidden; a private group's activity only for
    its members (and ecosystem admins); members-only activities only for logged-in members.
    `groups` lets a page pass the viewer's groups once instead of once per item."""
    if activity.hidden_at is not None:
        return False
    if activity.members_only and not viewer.is_member:
        return False
    if activity.audience is not None and viewer.person_id not in activity.audience:
        return False
    if activity.group_id is not None:
        if not viewer.is_member:
            return False
        allowed = _viewer_groups(session, viewer) if groups is False else groups
        return allowed is None or activity.group_id in allowed
    return True


def _families(verbs: Collection[str] | None) -> set[str] | None:
    if not verbs:
        return None
    unknown = set(verbs) - set(FEED_FILTERS)
    if unknown:
        raise DomainError(f"Unknown filter {sorted(unknown)[0]!r}; choose from {', '.join(FEED_FILTERS)}.",
                          field="verbs")
    return set(verbs)


def _page_limit(limit: int) -> int:
    if not 1 <= int(limit) <= MAX_PAGE:
        raise DomainError(f"A feed page has 1 to {MAX_PAGE} items.", field="limit")
    return int(limit)


def _collect(session: Session, viewer: Viewer, fetch, cursor: str | None, limit: int) -> FeedPage:
    """Fill a page from `fetch(before, n) -> [(id, created_at)]`, dropping what the viewer may not
    see (hidden items) and fetching again past them; the next cursor is the last row looked at."""
    limit = _page_limit(limit)
    before: FeedCursor | None = decode_cursor(cursor)
    groups = _viewer_groups(session, viewer) if viewer.is_member else set()
    items: list[Activity] = []
    exhausted = False
    while len(items) < limit and not exhausted:
        want = limit - len(items)
        rows = fetch(before, want + 1, groups)
        exhausted = len(rows) <= want
        rows = rows[:want]
        if not rows:
            break
        loaded = {a.id: a for a in session.scalars(select(Activity).where(Activity.id.in_([r[0] for r in rows])))}
        for activity_id, _at in rows:
            activity = loaded.get(activity_id)
            if activity is not None and visible_to(session, viewer, activity, groups=groups):
                items.append(activity)
        before = FeedCursor(rows[-1][1], rows[-1][0])
    next_cursor = None if exhausted or before is None else encode_cursor(before.created_at, before.activity_id)
    return FeedPage(items=items, next_cursor=next_cursor)


def personal_feed(session: Session, viewer: Viewer, *, cursor: str | None = None, limit: int = 30,
                  verbs: Collection[str] | None = None) -> FeedPage:
    """The newest activities about what the viewer follows (the dashboard). `verbs`: feed filter
    names (FEED_FILTERS keys). `cursor`: the previous page's next_cursor."""
    families = _families(verbs)
    if viewer.person_id is None:
        return FeedPage(items=[], next_cursor=None, filters=sorted(families or ()))
    def fetch(before, n, groups):
        # What the viewer follows, and the viewer (their own doings, a new connection of theirs).
        return newest_for_targets(session, None, reader_id=viewer.person_id, before=before, limit=n,
                                  groups=groups, families=families)

    page = _collect(session, viewer, fetch, cursor, limit)
    page.filters = sorted(families or ())
    return page


def company_feed(session: Session, viewer: Viewer, company_id: int, *, cursor: str | None = None,
                 limit: int = 30, verbs: Collection[str] | None = None) -> FeedPage:
    """The newest activities shown in one company's feed (those recorded with its company_id)."""
    families = _families(verbs)
    company_id = int(company_id)

    def fetch(before, n, groups):
        stmt = select(Activity.id, Activity.created_at).where(Activity.company_id == company_id)
        if before is not None:
            stmt = stmt.where(Activity.created_at <= before.created_at,
                              or_(Activity.created_at < before.created_at, Activity.id < before.activity_id))
        if groups is not None:
            stmt = stmt.where(or_(Activity.group_id.is_(None), Activity.group_id.in_(sorted(groups))))
        if families is not None:
            stmt = stmt.where(Activity.verb_family.in_(sorted(families)))
        stmt = stmt.order_by(Activity.created_at.desc(), Activity.id.desc()).limit(n)
        return [(row[0], row[1]) for row in session.execute(stmt)]

    page = _collect(session, viewer, fetch, cursor, limit)
    page.filters = sorted(families or ())
    return page
