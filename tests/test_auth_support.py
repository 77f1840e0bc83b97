"""Helpers shared by the account and mail tests (no tests here; the name keeps it with them)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.auth import passwords
from portal.mail.models import OutboxMessage

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def fast_password_hashing():
    """Cheap Argon2 parameters: the production ones take a good fraction of a second per hash."""
    previous = passwords.configure_hasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = previous


def mails_to(session, address: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                                .order_by(OutboxMessage.id)))


def read_eml(outbox_dir: Path, message: OutboxMessage) -> email.message.EmailMessage:
    assert message.sent_at is not None and message.file_name, "the message was not delivered"
    return email.message_from_bytes((outbox_dir / message.file_name).read_bytes(), policy=email.policy.default)


def mail_body(outbox_dir: Path, message: OutboxMessage) -> str:
    return read_eml(outbox_dir, message).get_content()


@pytest.fixture
def db_session(app):
    """A session for HTTP tests that does not keep an app context pushed.

    conftest's `session` fixture holds an app context open; the test client's requests then
    reuse it and its `g`, where Flask-Login caches the logged-in user: a login or logout would
    leak from one request (and one client) into the next.
    """
    from portal.db import db

    with app.app_context():
        session = db.new_session()
    yield session
    session.close()
