"""The private conversation of an accepted introduction: only its two people read and write it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.introductions import rules
from portal.introductions.models import ACCEPTED, Conversation, Introduction, Message
from portal.introductions.settings import IntroductionSettings, settings_for
from portal.profiles.models import Person
from portal.profiles.services import persons_by_ids
from portal.text import clean_text

MESSAGE_MAX = 5000


def open_conversation(session: Session, introduction: Introduction) -> Conversation:
    """The conversation of an introduction both accepted (made once, then reused)."""
    existing = session.scalar(select(Conversation).where(Conversation.introduction_id == introduction.id))
    if existing is not None:
        return existing
    conversation = Conversation(introduction_id=introduction.id, person_a_id=introduction.a_id,
                                person_b_id=introduction.b_id)
    session.add(conversation)
    session.flush()
    return conversation


def _conversation_for(session: Session, person: Person, introduction_id: int) -> Conversation:
    """Anyone but the two people gets NotFound (a broker or admin included: the conversation is private)."""
    introduction = session.get(Introduction, introduction_id) if isinstance(introduction_id, int) else None
    if introduction is None or introduction.side(person.id) is None:
        raise NotFound("There is no such conversation.")
    conversation = session.scalar(select(Conversation).where(Conversation.introduction_id == introduction.id))
    if introduction.status != ACCEPTED or conversation is None or not conversation.includes(person.id):
        raise DomainError("The conversation opens once both of you have accepted the introduction.")
    return conversation


def conversation_messages(session: Session, person: Person, introduction_id: int,
                          ) -> list[tuple[Message, Person | None]]:
    """The messages, oldest first, with their authors."""
    conversation = _conversation_for(session, person, introduction_id)
    messages = list(session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                                    .order_by(Message.created_at, Message.id)))
    authors = persons_by_ids(session, {m.author_id for m in messages})
    return [(message, authors.get(message.author_id)) for message in messages]


def post_message(session: Session, person: Person, introduction_id: int, body: str, *,
                 settings: IntroductionSettings | None = None) -> Message:
    """Write to the other person; they are told by mail (without the text: it stays on the portal)."""
    settings = settings_for(session, settings)
    conversation = _conversation_for(session, person, introduction_id)
    body = clean_text(body)
    if not body:
        raise DomainError("Please write a message.", field="body")
    if len(body) > MESSAGE_MAX:
        raise DomainError(f"A message can be at most {MESSAGE_MAX} characters.", field="body")
    message = Message(conversation_id=conversation.id, author_id=person.id, body=body)
    session.add(message)
    session.flush()
    other_id = conversation.person_b_id if person.id == conversation.person_a_id else conversation.person_a_id
    rules.notify(session, [other_id], f"{person.name} wrote to you on PartnerMesh",
                 f"{person.name} sent you a message in your introduction conversation:\n"
                 f"{settings.link(f'/introductions/{introduction_id}')}#conversation\n")
    return message
