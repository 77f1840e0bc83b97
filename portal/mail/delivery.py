"""Delivery of the outbox: SMTP when SMTP_HOST is set, else .eml files in <instance>/outbox/.

Several processes may deliver at once (the after-commit hook of each web worker, `portal mail
send`). A message is claimed with a compare-and-set on its `attempts` counter before it is sent:
``UPDATE ... SET attempts = attempts + 1 WHERE id = :id AND attempts = :seen AND sent_at IS NULL``.
Only the process whose update hit the row sends it; the others skip it. The claim is committed
before the (slow) send so that no lock is held meanwhile. A crash between send and the final
commit can mean one duplicate later; a crash before the send means one retry — never a loss.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.mail.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def build_email(message: OutboxMessage, config: Mapping[str, Any]) -> EmailMessage:
    """The RFC 5322 message for an outbox row."""
    sender = config.get("MAIL_FROM") or "PartnerMesh <no-reply@partnermesh.local>"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "partnermesh.local"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at or utcnow())
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    for name, value in (message.headers or {}).items():
        email[name] = value  # checked and made one line by queue_mail
    email.set_content(message.body_text)
    return email


class FileTransport:
    """Writes each message to <instance>/outbox/<id>-<random>.eml (the development transport)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, email: EmailMessage, message: OutboxMessage) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{message.id}-{secrets.token_hex(4)}.eml"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(email.as_bytes())
        os.replace(temporary, self.folder / name)  # readers never see half a file
        return name

    def close(self) -> None:
        pass


class SMTPTransport:
    """One SMTP connection per delivery run, opened on the first message."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        host, port = self.config["SMTP_HOST"], int(self.config.get("SMTP_PORT") or 587)
        timeout = float(self.config.get("SMTP_TIMEOUT", 15))
        if port == 465:  # implicit TLS ("SMTPS")
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if self.config.get("SMTP_STARTTLS", True):
                smtp.starttls()
        if self.config.get("SMTP_USER"):
            smtp.login(self.config["SMTP_USER"], self.config.get("SMTP_PASSWORD", ""))
        return smtp

    def send(self, email: EmailMessage, message: OutboxMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(email)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()  # the next message reconnects
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def make_transport(config: Mapping[str, Any]) -> FileTransport | SMTPTransport:
    if config.get("SMTP_HOST"):
        return SMTPTransport(config)
    return FileTransport(Path(config["INSTANCE_PATH"]) / "outbox")


def claim(session: Session, message_id: int, seen_attempts: int) -> bool:
    """Compare-and-set: True for exactly one of the processes that saw `seen_attempts`."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.attempts == seen_attempts,
               OutboxMessage.sent_at.is_(None))
        .values(attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def deliver_pending(session: Session, config: Mapping[str, Any], *, message_ids: Iterable[int] | None = None,
                    max_attempts: int = MAX_ATTEMPTS) -> int:
    """Send every unsent message (or only `message_ids`); returns how many went out.

    Owns its transactions: commits after each claim and each result, so give it a session of
    its own (db.new_session() or a CLI command's session with nothing else pending).
    A failing message keeps its error in `last_error` and does not stop the others.
    """
    stmt = (select(OutboxMessage.id, OutboxMessage.attempts)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < max_attempts)
            .order_by(OutboxMessage.id))
    if message_ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(list(message_ids)))
    candidates = list(session.execute(stmt))
    session.commit()
    if not candidates:
        return 0
    transport = make_transport(config)
    sent = 0
    try:
        for message_id, seen in candidates:
            won = claim(session, message_id, seen)
            session.commit()
            if not won:
                continue
            message = session.get(OutboxMessage, message_id, populate_existing=True)
            if message is None:
                continue
            try:
                file_name = transport.send(build_email(message, config), message)
            except Exception as exc:  # noqa: BLE001 - any transport failure is recorded, then retried later
                log.warning("mail %s to %s failed: %s", message.id, message.to_address, exc)
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                session.commit()
                continue
            message.sent_at = utcnow()
            message.last_error = ""
            if file_name:
                message.file_name = file_name
            session.commit()
            sent += 1
    finally:
        transport.close()
    return sent
