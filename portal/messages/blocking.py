"""Blocking a member: they can no longer start a conversation with you, write to your one-to-one
conversation or add you to a group, and what they write in a group you share after the block
stays out of your view (and your unread counts and notifications)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.messages.models import Block, Message
from portal.profiles.models import Person
from portal.profiles.services import persons_by_ids


def block(session: Session, blocker: Person, blocked_id: int) -> Block:
    """Block someone (again: nothing changes). Messages written so far stay readable."""
    blocked = session.get(Person, blocked_id) if isinstance(blocked_id, int) else None
    if blocked is None:
        raise NotFound("There is no such person.")
    if blocked.id == blocker.id:
        raise DomainError("You cannot block yourself.")
    existing = session.get(Block, (blocker.id, blocked.id))
    if existing is not None:
        return existing
    entry = Block(blocker_id=blocker.id, blocked_id=blocked.id,
                  after_message_id=session.scalar(select(func.max(Message.id))) or 0)
    session.add(entry)
    session.flush()
    return entry


def unblock(session: Session, blocker: Person, blocked_id: int) -> None:
    """Hear from them again; what they wrote while blocked shows up from now on too."""
    entry = session.get(Block, (blocker.id, blocked_id)) if isinstance(blocked_id, int) else None
    if entry is not None:
        session.delete(entry)
        session.flush()


def blocked_ids(session: Session, blocker_id: int) -> set[int]:
    return set(session.scalars(select(Block.blocked_id).where(Block.blocker_id == blocker_id)))


def blocked_people(session: Session, blocker: Person) -> list[Person]:
    """The people `blocker` blocked, by name."""
    people = persons_by_ids(session, blocked_ids(session, blocker.id))
    return sorted(people.values(), key=lambda person: (person.name.lower(), person.id))


def blockers_among(session: Session, author_id: int, person_ids: Iterable[int]) -> set[int]:
    """Which of `person_ids` blocked `author_id` (they do not receive what the author writes)."""
    ids = set(person_ids)
    if not ids:
        return set()
    return set(session.scalars(select(Block.blocker_id).where(Block.blocked_id == author_id,
                                                              Block.blocker_id.in_(ids))))


def check_not_blocked(session: Session, author: Person, others: Iterable[Person]) -> None:
    """Refuse when the author blocked one of `others` or one of them blocked the author."""
    others = list(others)
    if not others:
        return
    ids = {person.id for person in others}
    rows = {(blocker_id, blocked_id) for blocker_id, blocked_id in session.execute(
        select(Block.blocker_id, Block.blocked_id).where(or_(
            (Block.blocker_id == author.id) & Block.blocked_id.in_(ids),
            (Block.blocked_id == author.id) & Block.blocker_id.in_(ids))))}
    for person in others:
        if (author.id, person.id) in rows:
            raise DomainError(f"You blocked {person.name}. Unblock them to write to them.", field="to")
        if (person.id, author.id) in rows:
            raise DomainError(f"{person.name} does not accept messages from you.", field="to")
