"""Conversations and messages: start one (one-to-one or a small group), write, read with a read
marker, unread counts, add people, leave.

Who may write to whom: members of the ecosystem (a verified account that is not suspended) may
message each other unless one blocked the other (portal/messages/blocking.py). A one-to-one
conversation is unique per pair; starting "another" one writes into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.auth.member_accounts import account_states
from portal.db import queue_event, utcnow
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.messages import blocking
from portal.messages.models import ADDED, INTRODUCED, LEFT, TEXT, Block, Conversation, Message, Participant
from portal.messages.settings import MessageSettings, settings_for
from portal.pagination import Page, paginate
from portal.profiles.models import Person
from portal.profiles.services import person_by_slug, persons_by_ids
from portal.text import clean_line, clean_text

TITLE_MAX = 120
ADDRESSES_MAX = 20
NOTIFY_KIND = "message"


def pair_key(a_id: int, b_id: int) -> str:
    return f"{min(a_id, b_id)}:{max(a_id, b_id)}"


# --- who is in, what they see ----------------------------------------------------------------------

def _participation(session: Session, person_id: int, conversation_id: int) -> tuple[Conversation, Participant]:
    """Anyone who is not (or no longer) in the conversation gets NotFound: it is private."""
    conversation = session.get(Conversation, conversation_id) if isinstance(conversation_id, int) else None
    participant = session.get(Participant, (conversation.id, person_id)) if conversation is not None else None
    if participant is None or participant.left_at is not None:
        raise NotFound("There is no such conversation.")
    return conversation, participant


def _not_blocked_by_reader():
    """Messages the participant (Participant row in the query) did not block: a blocked author's
    messages after the block stay out of the blocker's view."""
    return ~exists().where(Block.blocker_id == Participant.person_id, Block.blocked_id == Message.author_id,
                           Message.id > Block.after_message_id).correlate_except(Block)


def _readable():
    return (Message.conversation_id == Participant.conversation_id) & (Message.id > Participant.visible_after_id) \
        & _not_blocked_by_reader()


def unread_counts(session: Session, person_id: int) -> dict[int, int]:
    """Unread messages per conversation (conversations with none are left out)."""
    return dict(session.execute(select(Participant.conversation_id, Participant.unread_count).where(
        Participant.person_id == person_id, Participant.left_at.is_(None), Participant.unread_count > 0)).all())


def unread_total(session: Session, person_id: int) -> int:
    """Unread messages over all of the person's conversations (the nav badge)."""
    return session.scalar(select(func.coalesce(func.sum(Participant.unread_count), 0)).where(
        Participant.person_id == person_id, Participant.left_at.is_(None))) or 0


def _active_participants(session: Session, conversation_id: int) -> list[Participant]:
    return list(session.scalars(select(Participant).where(Participant.conversation_id == conversation_id,
                                                          Participant.left_at.is_(None))
                                .order_by(Participant.joined_at, Participant.person_id)))


def _check_members(session: Session, people: list[Person]) -> None:
    """Only members can receive messages: people listed in the directory who never joined cannot
    read them, and a suspended account cannot log in to."""
    states = account_states(session, [person.id for person in people])
    for person in people:
        state = states.get(person.id)
        if state is None or not state.verified:
            raise DomainError(f"{person.name} has not joined PartnerMesh yet, so they cannot receive messages.",
                              field="to")
        if state.suspended:
            raise DomainError(f"{person.name}'s account is suspended, so they cannot receive messages.", field="to")


def may_message(session: Session, author: Person, other: Person) -> bool:
    """Whether a "Message" button makes sense: another member, no block either way."""
    if author.id == other.id:
        return False
    try:
        _check_members(session, [other])
        blocking.check_not_blocked(session, author, [other])
    except DomainError:
        return False
    return True


_PROFILE_PATH = re.compile(r"/people/([^/?#\s]+)")


def resolve_addresses(session: Session, text: str) -> list[Person]:
    """People named by profile address ("ann-able", "@ann-able" or a link to the profile),
    separated by commas or spaces."""
    tokens = []
    for raw in re.split(r"[\s,;]+", clean_line(text)):
        match = _PROFILE_PATH.search(raw)
        token = (match.group(1) if match else raw).strip().lstrip("@").lower()
        if token and token not in tokens:
            tokens.append(token)
    if not tokens:
        raise DomainError("Please give the profile address of at least one member.", field="to")
    if len(tokens) > ADDRESSES_MAX:
        raise DomainError(f"Please name at most {ADDRESSES_MAX} people.", field="to")
    people = []
    for token in tokens:
        person = person_by_slug(session, token[:120])
        if person is None:
            raise DomainError(f"Nobody has the profile address “{token[:120]}”.", field="to")
        people.append(person)
    return people


def _clean_body(body: str | None, settings: MessageSettings) -> str:
    body = clean_text(body)
    if not body:
        raise DomainError("Please write a message.", field="body")
    if len(body) > settings.max_length:
        raise DomainError(f"A message can be at most {settings.max_length} characters.", field="body")
    return body


# --- starting and writing ------------------------------------------------------------------------------

def start_conversation(session: Session, author: Person, recipients: list[Person], body: str, *,
                       title: str = "", settings: MessageSettings | None = None) -> Message:
    """Write to one member (their one-to-one conversation with the author, made on first use) or
    to several (a new group; `title` is only for groups). Returns the message written."""
    settings = settings_for(session, settings)
    others = list({person.id: person for person in recipients if person.id != author.id}.values())
    if not others:
        raise DomainError("Please name at least one member other than yourself.", field="to")
    if len(others) + 1 > settings.group_max:
        raise DomainError(f"A conversation can have at most {settings.group_max} people, you included.",
                          field="to")
    body = _clean_body(body, settings)
    title = clean_line(title)
    if len(title) > TITLE_MAX:
        raise DomainError(f"A title can be at most {TITLE_MAX} characters.", field="title")
    _check_members(session, others)
    blocking.check_not_blocked(session, author, others)
    key = pair_key(author.id, others[0].id) if len(others) == 1 else None
    if key is not None:
        existing = session.scalar(select(Conversation).where(Conversation.pair_key == key))
        if existing is not None:
            return post_message(session, author, existing.id, body, settings=settings)
    _check_daily_cap(session, author, settings)
    conversation = _new_conversation(session, [author, *others], title=title if key is None else "",
                                     is_group=key is None, pair_key=key, created_by_id=author.id)
    if conversation is None:  # the other person started the pair's conversation at the same moment
        existing = session.scalar(select(Conversation).where(Conversation.pair_key == key))
        return post_message(session, author, existing.id, body, settings=settings)
    return _write(session, conversation, author, body)


def _new_conversation(session: Session, people: list[Person], **fields) -> Conversation | None:
    """A conversation with these participants; None when a one-to-one conversation of the pair was
    created concurrently (the unique pair key refused ours; the savepoint keeps the rest)."""
    try:
        with session.begin_nested():
            conversation = Conversation(**fields)
            session.add(conversation)
            session.flush()
            for person in people:
                session.add(Participant(conversation_id=conversation.id, person_id=person.id))
            session.flush()
    except IntegrityError:
        if not fields.get("pair_key"):
            raise
        return None
    return conversation


def _check_daily_cap(session: Session, author: Person, settings: MessageSettings) -> None:
    """Spam guard: a member starts at most so many new conversations in any 24 hours."""
    started = session.scalar(select(func.count(Conversation.id)).where(
        Conversation.created_by_id == author.id, Conversation.created_at > utcnow() - timedelta(days=1))) or 0
    if started >= settings.new_conversations_per_day:
        raise DomainError(f"You have started {started} new conversations in the last 24 hours, the most we allow. "
                          "Please write in one of your conversations, or try again tomorrow.")


def open_introduction_conversation(session: Session, a: Person, b: Person, introduction_id: int) -> Conversation:
    """The one-to-one conversation of two people an accepted introduction connected: their existing
    one if they have one (now linked to the introduction), otherwise a new one. No daily cap and
    no block check: both just said yes to talking."""
    key = pair_key(a.id, b.id)
    conversation = session.scalar(select(Conversation).where(Conversation.pair_key == key))
    if conversation is None:
        conversation = _new_conversation(session, [a, b], pair_key=key)
        if conversation is None:
            conversation = session.scalar(select(Conversation).where(Conversation.pair_key == key))
    if conversation.introduction_id is not None:
        return conversation  # linked already
    conversation.introduction_id = introduction_id
    # A line in the history that says where the conversation (or this part of it) comes from.
    event = Message(conversation_id=conversation.id, author_id=None, kind=INTRODUCED, body="")
    session.add(event)
    session.flush()
    conversation.last_message_id = event.id
    session.flush()
    return conversation


def conversation_of_introduction(session: Session, introduction_id: int) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.introduction_id == introduction_id))


def post_message(session: Session, author: Person, conversation_id: int, body: str, *,
                 settings: MessageSettings | None = None) -> Message:
    """Write in a conversation the author is in. In a one-to-one conversation a block either way
    stops it; in a group, whoever blocked the author simply does not receive it."""
    settings = settings_for(session, settings)
    conversation, _participant = _participation(session, author.id, conversation_id)
    body = _clean_body(body, settings)
    if not conversation.is_group:
        others = [p.person_id for p in _active_participants(session, conversation.id) if p.person_id != author.id]
        people = list(persons_by_ids(session, others).values())
        blocking.check_not_blocked(session, author, people)
    return _write(session, conversation, author, body)


def _write(session: Session, conversation: Conversation, author: Person, body: str, *,
           kind: str = TEXT) -> Message:
    """Store a message and tell the others: an in-app notification (mail by their preference) when
    the conversation had nothing unread for them, so a burst of messages notifies once."""
    message = Message(conversation_id=conversation.id, author_id=author.id, kind=kind, body=body)
    session.add(message)
    session.flush()
    conversation.last_message_id = message.id
    participants = _active_participants(session, conversation.id)
    for participant in participants:
        if participant.person_id == author.id:
            participant.last_read_id, participant.unread_count = message.id, 0  # one's own message is read
    session.flush()
    if kind != TEXT:
        return message
    others = [p.person_id for p in participants if p.person_id != author.id]
    recipients = sorted(set(others) - blocking.blockers_among(session, author.id, others))
    already_unread = {p.person_id for p in participants if p.unread_count > 0}
    if recipients:
        # In SQL, so that two messages arriving at once both count.
        session.execute(update(Participant).where(Participant.conversation_id == conversation.id,
                                                  Participant.person_id.in_(recipients))
                        .values(unread_count=Participant.unread_count + 1)
                        .execution_options(synchronize_session=False))
        for participant in participants:
            if participant.person_id in recipients:
                session.expire(participant, ["unread_count"])
    queue_event(session, "message.sent", {"message_id": message.id, "conversation_id": conversation.id,
                                          "author_id": author.id, "recipient_ids": recipients})
    to_notify = [person_id for person_id in recipients if person_id not in already_unread]
    if to_notify:
        from portal.notifications.services import notify

        where = f"“{conversation.title}”" if conversation.title else "a group conversation"
        title = (f"{author.name} wrote in {where}" if conversation.is_group
                 else f"{author.name} wrote to you on PartnerMesh")
        notify(session, person_ids=to_notify, kind=NOTIFY_KIND, title=title, url=f"/messages/{conversation.id}",
               actor_person_id=author.id)
    return message


# --- reading ----------------------------------------------------------------------------------------------

@dataclass
class ConversationSummary:
    """One row of the inbox, or the head of a conversation page."""

    conversation: Conversation
    others: list[Person]          # active participants other than the viewer, by name
    last_message: Message | None  # the last one the viewer may read
    last_author: Person | None
    unread: int
    is_creator: bool = False

    @property
    def name(self) -> str:
        if self.conversation.title:
            return self.conversation.title
        names = [person.name for person in self.others]
        return ", ".join(names) if names else "Only you"


def inbox(session: Session, person: Person, page: int = 1, per_page: int = 20) -> Page[ConversationSummary]:
    """The person's conversations, the one with the latest message first."""
    stmt = (select(Conversation).join(Participant, Participant.conversation_id == Conversation.id)
            .where(Participant.person_id == person.id, Participant.left_at.is_(None),
                   Conversation.last_message_id.is_not(None))
            .order_by(Conversation.last_message_id.desc(), Conversation.id.desc()))
    result = paginate(session, stmt, page, per_page)
    result.items = summaries(session, person, result.items)
    return result


def summaries(session: Session, person: Person, conversations: list[Conversation]) -> list[ConversationSummary]:
    ids = [conversation.id for conversation in conversations]
    if not ids:
        return []
    members: dict[int, list[int]] = {}
    for participant in session.scalars(select(Participant).where(Participant.conversation_id.in_(ids),
                                                                 Participant.left_at.is_(None))):
        members.setdefault(participant.conversation_id, []).append(participant.person_id)
    # A correlated "latest readable message" per row is a short backwards walk of the
    # (conversation_id, id) index; max() over a filtered join would read every message of a long one.
    last_id = (select(Message.id).where(Message.conversation_id == Participant.conversation_id,
                                        Message.id > Participant.visible_after_id, Message.kind == TEXT,
                                        _not_blocked_by_reader())
               .order_by(Message.id.desc()).limit(1).correlate(Participant).scalar_subquery())
    last_ids = dict(session.execute(select(Participant.conversation_id, last_id).where(
        Participant.person_id == person.id, Participant.conversation_id.in_(ids))).all())
    found = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(
        [mid for mid in last_ids.values() if mid is not None])))}
    last_messages = {cid: found.get(mid) for cid, mid in last_ids.items()}
    people = persons_by_ids(session, {pid for pids in members.values() for pid in pids}
                            | {m.author_id for m in last_messages.values() if m is not None and m.author_id})
    unread = unread_counts(session, person.id)
    rows = []
    for conversation in conversations:
        others = sorted((people[pid] for pid in members.get(conversation.id, []) if pid != person.id and pid in people),
                        key=lambda p: p.name.lower())
        last = last_messages.get(conversation.id)
        rows.append(ConversationSummary(conversation, others, last, people.get(last.author_id) if last else None,
                                        unread.get(conversation.id, 0), conversation.created_by_id == person.id))
    return rows


def conversation_summary(session: Session, person: Person, conversation_id: int) -> ConversationSummary:
    conversation, _participant = _participation(session, person.id, conversation_id)
    return summaries(session, person, [conversation])[0]


@dataclass
class MessagePage:
    messages: list[tuple[Message, Person | None]]  # oldest first
    earlier_before: int | None  # pass as `before` to read the earlier messages; None when there are none


def conversation_messages(session: Session, person: Person, conversation_id: int, *, before: int | None = None,
                          limit: int = 50) -> MessagePage:
    """The newest `limit` messages the person may read (older than message id `before` when given)."""
    conversation, participant = _participation(session, person.id, conversation_id)
    stmt = (select(Message).join(Participant, _readable())
            .where(Message.conversation_id == conversation.id, Participant.conversation_id == conversation.id,
                   Participant.person_id == person.id)
            .order_by(Message.id.desc()).limit(limit + 1))
    if isinstance(before, int):
        stmt = stmt.where(Message.id < before)
    rows = list(session.scalars(stmt))
    earlier = rows[limit - 1].id if len(rows) > limit else None
    rows = list(reversed(rows[:limit]))
    authors = persons_by_ids(session, {m.author_id for m in rows if m.author_id})
    return MessagePage([(m, authors.get(m.author_id)) for m in rows], earlier)


def mark_read(session: Session, person: Person, conversation_id: int) -> bool:
    """Everything in the conversation is read by the person now. True when that changed anything."""
    conversation, participant = _participation(session, person.id, conversation_id)
    latest = conversation.last_message_id or 0
    if participant.last_read_id >= latest and not participant.unread_count:
        return False
    participant.last_read_id, participant.unread_count = max(latest, participant.last_read_id), 0
    session.flush()
    queue_event(session, "message.read", {"person_id": person.id, "conversation_id": conversation.id})
    return True


# --- groups: adding people, leaving -----------------------------------------------------------------------

def add_participants(session: Session, actor: Person, conversation_id: int, people: list[Person], *,
                     settings: MessageSettings | None = None) -> Message:
    """The group's creator adds members; they read from here on, not what was said before."""
    settings = settings_for(session, settings)
    conversation, _participant = _participation(session, actor.id, conversation_id)
    if not conversation.is_group:
        raise DomainError("People can be added to group conversations only. Start a new conversation with "
                          "everyone instead.", field="to")
    if conversation.created_by_id != actor.id:
        raise PermissionDenied("Only the person who started this conversation can add people.")
    active = {p.person_id for p in _active_participants(session, conversation.id)}
    new = list({person.id: person for person in people if person.id not in active}.values())
    if not new:
        raise DomainError("They are already in this conversation.", field="to")
    if len(active) + len(new) > settings.group_max:
        raise DomainError(f"A conversation can have at most {settings.group_max} people; "
                          f"there is room for {max(0, settings.group_max - len(active))} more.", field="to")
    _check_members(session, new)
    blocking.check_not_blocked(session, actor, new)
    now, seen_up_to = utcnow(), conversation.last_message_id or 0
    for person in new:
        participant = session.get(Participant, (conversation.id, person.id))
        if participant is None:
            participant = Participant(conversation_id=conversation.id, person_id=person.id)
            session.add(participant)
        participant.left_at, participant.joined_at, participant.unread_count = None, now, 0
        participant.visible_after_id = participant.last_read_id = seen_up_to
    session.flush()
    event = _write(session, conversation, actor, ", ".join(person.name for person in new), kind=ADDED)
    from portal.notifications.services import notify

    where = f"“{conversation.title}”" if conversation.title else "a group conversation"
    notify(session, person_ids=[person.id for person in new], kind=NOTIFY_KIND,
           title=f"{actor.name} added you to {where}", url=f"/messages/{conversation.id}", actor_person_id=actor.id)
    return event


def leave_conversation(session: Session, person: Person, conversation_id: int) -> None:
    """Leave a group: it leaves the inbox and nothing more arrives. When its creator leaves, the
    longest-standing member may add people from then on."""
    conversation, participant = _participation(session, person.id, conversation_id)
    if not conversation.is_group:
        raise DomainError("Only group conversations can be left. To stop hearing from someone, block them.")
    _write(session, conversation, person, "", kind=LEFT)
    participant.left_at = utcnow()
    if conversation.created_by_id == person.id:
        remaining = [p for p in _active_participants(session, conversation.id) if p.person_id != person.id]
        conversation.created_by_id = remaining[0].person_id if remaining else None
    session.flush()
