"""Who hears about which domain event, and what their stream is told.

Each after-commit event becomes log entries on the channels of the people allowed to see it:
- "feed.activity": the followers of any of its targets whose feed shows it (feeds' `visible_to`:
  a private group's activity reaches its members and ecosystem admins only);
- "notification.created" / "notification.read": that person, with their new unread count;
- "message.sent": the recipients (and the author's other tabs), with each one's unread count;
  "message.read": that person's new count;
- "forum.post.changed" for a new post: the thread's channel, which a stream may only join after
  the forum's read check (views.py), so nobody outside a private group hears of its posts.

What goes out is ids and counts; pages fetch the content itself from their usual, access-checked
addresses, so a stream never carries more than its listener could read on a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.realtime.log import LiveEntry

FEED, NOTIFICATIONS, MESSAGES, POST = "feed", "notifications", "messages", "post"
_BATCH_CACHE = "live_audience_cache"


def person_channel(person_id: int) -> str:
    return f"person:{int(person_id)}"


def thread_channel(thread_id: int) -> str:
    return f"thread:{int(thread_id)}"


def _feed_activity(session: Session, event: dict) -> list[LiveEntry]:
    from portal.feeds.services import visible_to

    cache = session.info.get(_BATCH_CACHE, {})
    if "activities" not in cache:  # entries_for prefetches the whole commit; this is one event alone
        cache = _prefetch_feed_activities(session, [event])
    activity = cache["activities"].get(int(event["activity_id"]))
    if activity is None:
        return []
    followers: set[int] = set()
    for kind, target_id in event.get("targets") or ():
        followers.update(cache["followers"].get((kind, int(target_id)), ()))
    # An activity meant for a few people (an accepted introduction) shows in their own feeds.
    followers.update(int(pid) for pid in activity.audience or ())
    followers.discard(activity.actor_person_id)  # one's own doings are already on one's page
    viewers = [viewer for viewer in map(cache["viewers"].get, sorted(followers)) if viewer is not None]
    return [LiveEntry(person_channel(viewer.person_id), FEED, {"activity_id": activity.id})
            for viewer in viewers if visible_to(session, viewer, activity)]


def _prefetch_feed_activities(session: Session, batch: list[dict]) -> dict:
    """One commit can hold thousands of activities (a bulk import, the demo): the activities, the
    followers of all their targets and those followers' viewers are read with a few IN queries
    for the whole commit instead of a few queries per activity. Activities are read as rows of
    the columns `visible_to` looks at, not as ORM objects: thousands of those cost more than the
    query."""
    from portal.feeds.models import Activity
    from portal.feeds.services import IN_CHUNK, followers_of_targets

    feed_events = [e for e in batch if e.get("event") == "feed.activity"]
    ids = sorted({int(e["activity_id"]) for e in feed_events})
    columns = (Activity.id, Activity.actor_person_id, Activity.audience, Activity.group_id, Activity.members_only,
               Activity.hidden_at)
    activities = {row.id: row for start in range(0, len(ids), IN_CHUNK)
                  for row in session.execute(select(*columns).where(Activity.id.in_(ids[start:start + IN_CHUNK])))}
    followers = followers_of_targets(session, {
        (kind, int(target_id)) for e in feed_events for kind, target_id in e.get("targets") or ()})
    everyone = {pid for people in followers.values() for pid in people}
    everyone.update(int(pid) for row in activities.values() for pid in row.audience or ())
    cache = session.info.setdefault(_BATCH_CACHE, {})
    cache.update(activities=activities, followers=followers,
                 viewers={viewer.person_id: viewer for viewer in viewers_of(session, everyone)})
    return cache


def viewers_of(session: Session, person_ids: Iterable[int]) -> list:
    """Viewers for people with an account (membership and admin role as a page would see them).
    Connections are left out: activity visibility does not depend on them."""
    from portal.auth.models import User
    from portal.feeds.services import IN_CHUNK
    from portal.profiles.models import Person
    from portal.profiles.visibility import Viewer

    ids = sorted({int(pid) for pid in person_ids})
    rows = [row for start in range(0, len(ids), IN_CHUNK) for row in session.execute(
        select(Person.id, User).join(User, User.id == Person.user_id)
        .where(Person.id.in_(ids[start:start + IN_CHUNK])))]
    return [Viewer(person_id=person_id, is_member=user.is_active, is_ecosystem_admin=user.is_ecosystem_admin)
            for person_id, user in rows if user.is_active]


def _notification_count(session: Session, event: dict) -> list[LiveEntry]:
    from portal.notifications.services import unread_count

    person_id = int(event["person_id"])
    counts = session.info.get(_BATCH_CACHE, {}).get("notification_counts", {})
    unread = counts[person_id] if person_id in counts else unread_count(session, person_id)
    return [LiveEntry(person_channel(person_id), NOTIFICATIONS, {"unread": unread})]


def _prefetch_notification_counts(session: Session, batch: list[dict]) -> None:
    """A post that notifies 500 people commits 500 notification events: their counts in one query."""
    from portal.notifications.services import unread_counts

    people = {int(e["person_id"]) for e in batch if e.get("event") in ("notification.created", "notification.read")}
    if len(people) > 1:
        session.info.setdefault(_BATCH_CACHE, {})["notification_counts"] = unread_counts(session, people)


def _message_sent(session: Session, event: dict) -> list[LiveEntry]:
    from portal.messages.services import unread_total

    people = {int(pid) for pid in event.get("recipient_ids") or ()}
    if event.get("author_id") is not None:
        people.add(int(event["author_id"]))
    data = {"conversation_id": int(event["conversation_id"]), "message_id": int(event["message_id"])}
    return [LiveEntry(person_channel(pid), MESSAGES, {**data, "unread": unread_total(session, pid)})
            for pid in sorted(people)]


def _message_read(session: Session, event: dict) -> list[LiveEntry]:
    from portal.messages.services import unread_total

    person_id = int(event["person_id"])
    return [LiveEntry(person_channel(person_id), MESSAGES, {"unread": unread_total(session, person_id)})]


def _post_changed(session: Session, event: dict) -> list[LiveEntry]:
    if not event.get("created"):
        return []  # edits, hiding and deletions show on the next page load
    data = {"thread_id": int(event["thread_id"]), "post_id": int(event["post_id"])}
    return [LiveEntry(thread_channel(event["thread_id"]), POST, data)]


HANDLERS: dict[str, Callable[[Session, dict], list[LiveEntry]]] = {
    "feed.activity": _feed_activity,
    "notification.created": _notification_count,
    "notification.read": _notification_count,
    "message.sent": _message_sent,
    "message.read": _message_read,
    "forum.post.changed": _post_changed,
}


def entries_for(session: Session, batch: list[dict]) -> list[LiveEntry]:
    """The log entries one commit's events make, in the order they happened. Several
    count changes of one person in one commit collapse into the last (the counts are absolute)."""
    entries: list[LiveEntry] = []
    try:
        _prefetch_notification_counts(session, batch)
        if any(event.get("event") == "feed.activity" for event in batch):
            _prefetch_feed_activities(session, batch)
        for event in batch:
            handler = HANDLERS.get(event.get("event"))
            if handler is not None:
                entries.extend(handler(session, event))
    finally:
        session.info.pop(_BATCH_CACHE, None)
    return _latest_counts_only(entries)


def _latest_counts_only(entries: list[LiveEntry]) -> list[LiveEntry]:
    last_count: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(entries):
        if entry.event == NOTIFICATIONS or (entry.event == MESSAGES and "message_id" not in entry.data):
            last_count[(entry.channel, entry.event)] = index
    return [entry for index, entry in enumerate(entries)
            if not (entry.event == NOTIFICATIONS or (entry.event == MESSAGES and "message_id" not in entry.data))
            or last_count[(entry.channel, entry.event)] == index]
