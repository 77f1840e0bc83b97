"""Notifying people, their unread counts and their per-kind mail preferences.

Producers (forums, introductions, documents, messages) call `notify` inside the transaction
that made the news: the notification rows and any right-away mail (a row in the durable outbox)
commit together with the post, proposal or version, so a crash loses neither and sends nothing
twice. Events (after commit): "notification.created" {notification_id, person_id, kind} per row,
"notification.read" {person_id} when someone's unread count drops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.auth.member_accounts import account_states
from portal.db import queue_event, utcnow
from portal.errors import DomainError, NotFound
from portal.mail.services import queue_mails
from portal.notifications import mails
from portal.notifications.models import (
    DELIVERIES,
    DIGEST,
    DOCUMENT_VERSION,
    EMAIL,
    IN_APP,
    INTRODUCTION,
    KINDS,
    MENTION,
    MESSAGE,
    OFF,
    REPLY,
    Notification,
    NotificationPreference,
)
from portal.notifications.settings import settings_for
from portal.pagination import Page, paginate
from portal.profiles.services import persons_by_ids
from portal.text import clean_line

MAX_TITLE = 300
PER_PAGE = 30

# What a person gets when they never chose. Mentions and messages are addressed to the person,
# so they mail right away; replies and documents can be many, so they wait for the daily digest.
DEFAULT_DELIVERY = {MENTION: EMAIL, REPLY: DIGEST, INTRODUCTION: IN_APP, MESSAGE: EMAIL, DOCUMENT_VERSION: DIGEST}

KIND_LABELS = {
    MENTION: "Someone mentions you in a forum post",
    REPLY: "Replies in threads you started or posted in",
    INTRODUCTION: "Introduction proposals",
    MESSAGE: "Private messages",
    DOCUMENT_VERSION: "New versions of documents you follow",
}

DELIVERY_LABELS = {IN_APP: "On the notifications page only", EMAIL: "Mail right away",
                   DIGEST: "Daily digest mail", OFF: "Off"}

# Introduction proposals are mailed by the introductions feature itself when they are made (the
# mail carries the answer link), so a second right-away mail would only duplicate it.
ALLOWED_DELIVERIES = {kind: DELIVERIES for kind in KINDS} | {INTRODUCTION: (IN_APP, DIGEST, OFF)}


@dataclass(frozen=True)
class NotificationItem:
    """A notification as the page shows it."""

    id: int
    kind: str
    title: str
    url: str
    created_at: datetime
    read: bool
    actor_name: str | None
    actor_slug: str | None


def _person_id(person) -> int:
    return person if isinstance(person, int) else person.id


def local_path(url: str) -> str:
    """Notifications link to pages of this portal only: a path, never another site."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith("//") or "\\" in url or any(c.isspace() for c in url):
        raise DomainError("A notification links to a page of this portal (a path starting with /).", field="url")
    if len(url) > 500:
        raise DomainError("The notification's link is too long.", field="url")
    return url


# --- preferences --------------------------------------------------------------------------

def deliveries_for(session: Session, person_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each person's delivery for `kind` (their choice, else the default), in one query."""
    ids = list(set(person_ids))
    rows = session.execute(select(NotificationPreference.person_id, NotificationPreference.delivery).where(
        NotificationPreference.kind == kind, NotificationPreference.person_id.in_(ids))) if ids else ()
    chosen = {pid: delivery for pid, delivery in rows}
    return {pid: chosen.get(pid, DEFAULT_DELIVERY[kind]) for pid in ids}


def preferences(session: Session, person) -> dict[str, str]:
    """Every kind's delivery for one person."""
    pid = _person_id(person)
    chosen = {kind: delivery for kind, delivery in session.execute(
        select(NotificationPreference.kind, NotificationPreference.delivery).where(
            NotificationPreference.person_id == pid))}
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in KINDS}


def set_preferences(session: Session, person, choices: Mapping[str, str]) -> dict[str, str]:
    """Store one person's choices (kind -> delivery); all are checked before anything is written."""
    pid = _person_id(person)
    for kind, delivery in choices.items():
        if kind not in KINDS:
            raise DomainError(f"There is no notification kind {kind!r}.")
        if delivery not in ALLOWED_DELIVERIES[kind]:
            raise DomainError(f"{KIND_LABELS[kind]}: choose one of the offered options.", field=kind)
    existing = {p.kind: p for p in session.scalars(
        select(NotificationPreference).where(NotificationPreference.person_id == pid))}
    for kind, delivery in choices.items():
        if kind in existing:
            existing[kind].delivery = delivery
        else:
            session.add(NotificationPreference(person_id=pid, kind=kind, delivery=delivery))
    session.flush()
    return preferences(session, pid)


def stop_mail(session: Session, person_id: int, kinds: Iterable[str]) -> list[str]:
    """Switch mail (right away and digest) off for these kinds, keeping them on the page.
    Returns the kinds that changed."""
    current = preferences(session, person_id)
    changed = {kind: IN_APP for kind in kinds if current.get(kind) in (EMAIL, DIGEST)}
    if changed:
        set_preferences(session, person_id, changed)
    return sorted(changed)


def unsubscribe_person(session: Session, person_id: int, kinds: Iterable[str]) -> list[str]:
    """What an unsubscribe link does: mail for these kinds stops (they stay on the page)."""
    if not persons_by_ids(session, [person_id]):
        raise DomainError("This unsubscribe link belongs to a profile that no longer exists.")
    return stop_mail(session, person_id, kinds)


# --- notifying ----------------------------------------------------------------------------

def notify(session: Session, *, person_ids: Iterable[int], kind: str, title: str, url: str,
           actor_person_id: int | None = None) -> list[Notification]:
    """Tell these people about something at `url` (a path of this portal).

    Skips the actor, people without an account, suspended accounts and people who switched the
    kind off. Right-away mail goes into the outbox in the caller's transaction, except to someone
    mailed about the same url who has not read that yet. Flushes.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    title = clean_line(title)[:MAX_TITLE]
    if not title:
        raise DomainError("A notification needs a title.", field="title")
    url = local_path(url)
    wanted = list(dict.fromkeys(pid for pid in person_ids if isinstance(pid, int) and pid != actor_person_id))
    states = account_states(session, wanted)
    wanted = [pid for pid in wanted if pid in states and not states[pid].suspended]
    deliveries = deliveries_for(session, wanted, kind)
    now = utcnow()
    created: list[Notification] = []
    for pid in wanted:
        delivery = deliveries[pid]
        if delivery == OFF:
            continue
        if delivery in (EMAIL, DIGEST) and not states[pid].verified:
            delivery = IN_APP  # mail goes only to confirmed addresses
        notification = Notification(person_id=pid, kind=kind, title=title, url=url, actor_person_id=actor_person_id,
                                    created_at=now, delivery=delivery)
        session.add(notification)
        created.append(notification)
    if not created:
        return []
    session.flush()
    already_mailed = _mailed_and_unread(session, [n.person_id for n in created if n.delivery == EMAIL], kind, url,
                                        [n.id for n in created])
    settings = None
    outgoing = []
    for notification in created:
        queue_event(session, "notification.created", {"notification_id": notification.id,
                                                      "person_id": notification.person_id, "kind": kind})
        if notification.delivery == EMAIL and notification.person_id not in already_mailed:
            settings = settings or settings_for(session)
            outgoing.append(mails.right_away_mail(notification, states[notification.person_id].email, settings))
            notification.mailed_at = now
    if outgoing:
        queue_mails(session, outgoing)
    session.flush()
    return created


def _mailed_and_unread(session: Session, person_ids: list[int], kind: str, url: str, new_ids: list[int]) -> set[int]:
    """People already mailed about this same page who have not looked at it since: a busy
    conversation sends one mail until its reader comes by, not one per message."""
    if not person_ids:
        return set()
    return set(session.scalars(select(Notification.person_id).where(
        Notification.person_id.in_(person_ids), Notification.kind == kind, Notification.url == url,
        Notification.read_at.is_(None), Notification.mailed_at.is_not(None), Notification.id.not_in(new_ids))))


# --- reading ------------------------------------------------------------------------------

def unread_count(session: Session, person_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.person_id == person_id, Notification.read_at.is_(None))) or 0


def unread_counts(session: Session, person_ids: Iterable[int]) -> dict[int, int]:
    """Many people's unread counts in one query (everyone a post just notified)."""
    ids = list(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(select(Notification.person_id, func.count()).where(
        Notification.person_id.in_(ids), Notification.read_at.is_(None)).group_by(Notification.person_id))
    counts = {pid: count for pid, count in rows}
    return {pid: counts.get(pid, 0) for pid in ids}


def mark_read(session: Session, person, ids: Iterable[int] | str) -> int:
    """Mark some of one person's notifications read (`ids`), or all of them (`"all"`).
    Other people's ids are ignored. Returns how many changed; queues "notification.read" then."""
    pid = _person_id(person)
    stmt = update(Notification).where(Notification.person_id == pid, Notification.read_at.is_(None))
    if ids != "all":
        wanted = [i for i in ids if isinstance(i, int)] if not isinstance(ids, str) else []
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    result = session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session="fetch"))
    if result.rowcount:
        queue_event(session, "notification.read", {"person_id": pid})
    return result.rowcount


def open_notification(session: Session, person, notification_id: int) -> str:
    """Mark one of the person's notifications read and return where it leads."""
    pid = _person_id(person)
    notification = session.get(Notification, notification_id)
    if notification is None or notification.person_id != pid:
        raise NotFound("There is no such notification.")
    mark_read(session, pid, [notification.id])
    return notification.url


def notifications_page(session: Session, person, page: int, *, unread_only: bool = False,
                       per_page: int = PER_PAGE) -> Page[NotificationItem]:
    """One person's notifications, newest first."""
    pid = _person_id(person)
    stmt = select(Notification).where(Notification.person_id == pid)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    result = paginate(session, stmt.order_by(Notification.id.desc()), page, per_page)
    actors = persons_by_ids(session, {n.actor_person_id for n in result.items if n.actor_person_id})
    items = []
    for n in result.items:
        actor = actors.get(n.actor_person_id)
        items.append(NotificationItem(n.id, n.kind, n.title, n.url, n.created_at, n.read_at is not None,
                                      actor.name if actor else None, actor.slug if actor else None))
    return Page(items=items, number=result.number, per_page=result.per_page, total=result.total)
