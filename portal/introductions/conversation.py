"""The private conversation of an accepted introduction: a one-to-one conversation of
portal/messages linked to the introduction. Here only what introductions add: it opens once
both accepted, and only the two people reach it through the introduction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.introductions.models import ACCEPTED, Introduction
from portal.messages import services as messages
from portal.messages.models import TEXT, Conversation, Message
from portal.profiles.models import Person
from portal.profiles.services import persons_by_ids


def open_conversation(session: Session, introduction: Introduction) -> Conversation:
    """The conversation of an introduction both accepted (the pair's one-to-one conversation)."""
    people = persons_by_ids(session, introduction.person_ids)
    return messages.open_introduction_conversation(session, people[introduction.a_id], people[introduction.b_id],
                                                   introduction.id)


def conversation_for(session: Session, person: Person, introduction_id: int) -> Conversation:
    """Anyone but the two people gets NotFound (a broker or admin included: the conversation is private)."""
    introduction = session.get(Introduction, introduction_id) if isinstance(introduction_id, int) else None
    if introduction is None or introduction.side(person.id) is None:
        raise NotFound("There is no such conversation.")
    conversation = messages.conversation_of_introduction(session, introduction.id)
    if introduction.status != ACCEPTED or conversation is None:
        raise DomainError("The conversation opens once both of you have accepted the introduction.")
    return conversation


def conversation_messages(session: Session, person: Person, introduction_id: int,
                          ) -> list[tuple[Message, Person | None]]:
    """The latest messages the two wrote, oldest first, with their authors (no history events)."""
    conversation = conversation_for(session, person, introduction_id)
    return [(message, author) for message, author in messages.conversation_messages(session, person, conversation.id)
            .messages if message.kind == TEXT]


def post_message(session: Session, person: Person, introduction_id: int, body: str, *,
                 settings: object | None = None) -> Message:
    """Write to the other person (they are notified as for any private message). `settings` is
    accepted for older callers; message limits are portal/messages' own."""
    conversation = conversation_for(session, person, introduction_id)
    return messages.post_message(session, person, conversation.id, body)
