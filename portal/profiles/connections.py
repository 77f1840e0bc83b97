"""Connection requests: one person asks, the other accepts (→ services.connect) or declines."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.db import queue_event
from portal.errors import DomainError, NotFound
from portal.profiles.models import Connection, ConnectionRequest, Person
from portal.profiles.services import are_connected, connect
from portal.text import clean_text

NONE, SELF, CONNECTED, SENT, RECEIVED = "none", "self", "connected", "sent", "received"


def connection_count(session: Session, person_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Connection).where(
        or_(Connection.person_a_id == person_id, Connection.person_b_id == person_id))) or 0


def _request_between(session: Session, from_id: int, to_id: int) -> ConnectionRequest | None:
    return session.scalar(select(ConnectionRequest).where(
        ConnectionRequest.from_person_id == from_id, ConnectionRequest.to_person_id == to_id))


def connection_state(session: Session, me: Person | None, other: Person) -> str:
    """How `me` stands with `other`: none, self, connected, sent (I asked) or received (they asked)."""
    if me is None:
        return NONE
    if me.id == other.id:
        return SELF
    if are_connected(session, me.id, other.id):
        return CONNECTED
    if _request_between(session, me.id, other.id):
        return SENT
    if _request_between(session, other.id, me.id):
        return RECEIVED
    return NONE


def request_connection(session: Session, sender: Person, recipient: Person, message: str = "") -> bool:
    """Ask to connect. If the recipient had already asked the sender, they connect at once.

    Returns True when the two are now connected, False when a request is waiting.
    """
    if sender.id == recipient.id:
        raise DomainError("You cannot connect with yourself.")
    message = clean_text(message)
    if len(message) > 500:
        raise DomainError("A message can be at most 500 characters.", field="message")
    if are_connected(session, sender.id, recipient.id):
        return True
    reverse = _request_between(session, recipient.id, sender.id)
    if reverse is not None:
        session.delete(reverse)
        connect(session, sender, recipient)
        return True
    if _request_between(session, sender.id, recipient.id) is None:
        session.add(ConnectionRequest(from_person_id=sender.id, to_person_id=recipient.id, message=message))
        session.flush()
        queue_event(session, "connection.requested", {"from_person_id": sender.id, "to_person_id": recipient.id})
    return False


def incoming_requests(session: Session, person: Person) -> list[tuple[ConnectionRequest, Person]]:
    """Requests waiting for this person's answer, oldest first, with who sent them."""
    rows = session.execute(
        select(ConnectionRequest, Person).join(Person, Person.id == ConnectionRequest.from_person_id)
        .where(ConnectionRequest.to_person_id == person.id)
        .order_by(ConnectionRequest.created_at, ConnectionRequest.id))
    return [(request, sender) for request, sender in rows]


def outgoing_requests(session: Session, person: Person) -> list[tuple[ConnectionRequest, Person]]:
    rows = session.execute(
        select(ConnectionRequest, Person).join(Person, Person.id == ConnectionRequest.to_person_id)
        .where(ConnectionRequest.from_person_id == person.id)
        .order_by(ConnectionRequest.created_at, ConnectionRequest.id))
    return [(request, recipient) for request, recipient in rows]


def _incoming(session: Session, person: Person, request_id: int) -> ConnectionRequest:
    request = session.get(ConnectionRequest, request_id)
    if request is None or request.to_person_id != person.id:
        raise NotFound("That connection request does not exist any more.")
    return request


def answer_request(session: Session, person: Person, request_id: int, accept: bool) -> Person:
    """Accept or decline a request sent to `person`; returns the sender."""
    request = _incoming(session, person, request_id)
    sender = session.get(Person, request.from_person_id)
    session.delete(request)
    session.flush()
    if accept:
        connect(session, sender, person)
    return sender


def withdraw_request(session: Session, person: Person, recipient: Person) -> None:
    request = _request_between(session, person.id, recipient.id)
    if request is not None:
        session.delete(request)
        session.flush()
