"""The durable outbox: file and SMTP transports, failures, no double sending, the dev page, the CLI."""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import threading

import pytest

import tests.test_auth_support as support
from portal.mail import delivery
from portal.mail.models import OutboxMessage
from portal.mail.services import queue_mail
from tests.test_auth_support import read_eml

db_session = support.db_session  # fixture


@pytest.fixture
def config(app, tmp_path):
    """Delivery settings with a private outbox folder (and no delivery after commit)."""
    return {**app.config, "INSTANCE_PATH": str(tmp_path), "SMTP_HOST": ""}


def _queue(session, n=1, to="pat@example.com", subject="Hello", body="Body\n"):
    messages = [queue_mail(session, to, f"{subject} {i}" if n > 1 else subject, body) for i in range(n)]
    session.flush()
    session.info.pop("pending_events", None)  # deliver by hand in these tests, not after commit
    return messages


def test_file_transport_writes_an_eml_per_message(session, config, tmp_path):
    [message] = _queue(session, subject="Grüße\r\nBcc: victim@example.com", body="Hi Zoë,\n\nhttps://x.example/a\n")
    assert delivery.deliver_pending(session, config) == 1
    session.refresh(message)
    assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""
    parsed = read_eml(tmp_path / "outbox", message)
    assert parsed["To"] == "pat@example.com"
    assert parsed["Subject"] == "Grüße Bcc: victim@example.com"  # no header injection
    assert parsed["Bcc"] is None
    assert "PartnerMesh" in parsed["From"] and parsed["Message-ID"] and parsed["Date"]
    assert parsed.get_content() == "Hi Zoë,\n\nhttps://x.example/a\n"


def test_no_double_send(session, config, tmp_path):
    messages = _queue(session, 3)
    assert delivery.deliver_pending(session, config) == 3
    assert delivery.deliver_pending(session, config) == 0
    names = {m.file_name for m in messages}
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3 == len(names)
    assert all(m.attempts == 1 for m in messages)


def test_claim_is_a_compare_and_set(session):
    [message] = _queue(session)
    seen = message.attempts
    assert delivery.claim(session, message.id, seen) is True
    assert delivery.claim(session, message.id, seen) is False  # a second process that saw the same row


def test_a_failure_is_recorded_and_does_not_block_the_others(session, config, monkeypatch):
    first, second = _queue(session, 2)
    real_send = delivery.FileTransport.send

    def flaky(self, email_message, message):
        if message.id == first.id:
            raise OSError("disk on fire")
        return real_send(self, email_message, message)

    monkeypatch.setattr(delivery.FileTransport, "send", flaky)
    assert delivery.deliver_pending(session, config) == 1
    session.refresh(first)
    session.refresh(second)
    assert first.sent_at is None and first.attempts == 1 and "disk on fire" in first.last_error
    assert second.sent_at is not None
    monkeypatch.setattr(delivery.FileTransport, "send", real_send)
    assert delivery.deliver_pending(session, config) == 1  # the retry
    session.refresh(first)
    assert first.sent_at is not None and first.attempts == 2 and first.last_error == ""


def test_gives_up_after_max_attempts(session, config):
    [message] = _queue(session)
    message.attempts = delivery.MAX_ATTEMPTS
    session.flush()
    assert delivery.deliver_pending(session, config) == 0


# --- SMTP against a small local sink ----------------------------------------------------------

class _SMTPSink(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server = self.server
        self._reply("220 sink ready")
        envelope: dict = {"rcpt": []}
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-sink")
                self._reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                server.auth.append(base64.b64decode(command.split()[2]).split(b"\0")[1:])
                self._reply("235 ok")
            elif verb == "MAIL":
                envelope = {"from": command, "rcpt": []}
                self._reply("250 ok")
            elif verb == "RCPT":
                envelope["rcpt"].append(command)
                self._reply("250 ok")
            elif verb == "DATA":
                self._reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.received.append((envelope, email.message_from_bytes(data, policy=email.policy.default)))
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 ok")


@pytest.fixture
def smtp_sink():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPSink)
    server.daemon_threads = True
    server.received, server.auth = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_smtp_transport_sends_through_a_server(session, config, smtp_sink):
    config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.server_address[1], SMTP_STARTTLS=False,
                  SMTP_USER="mailer", SMTP_PASSWORD="s3cret")
    messages = _queue(session, 2, to="smtp@example.com", body="Line one\n.leading dot\n")
    assert delivery.deliver_pending(session, config) == 2
    assert smtp_sink.auth == [[b"mailer", b"s3cret"]]
    assert [m["Subject"] for _, m in smtp_sink.received] == ["Hello 0", "Hello 1"]
    envelope, first = smtp_sink.received[0]
    assert "smtp@example.com" in envelope["rcpt"][0]
    assert first.get_content().replace("\r\n", "\n") == "Line one\n.leading dot\n"  # dot-stuffing undone
    assert all(m.sent_at is not None and m.file_name is None for m in messages)


def test_smtp_connection_failure_is_recorded(session, config):
    config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_STARTTLS=False, SMTP_TIMEOUT=2)
    messages = _queue(session, 2)
    assert delivery.deliver_pending(session, config) == 0
    for message in messages:
        session.refresh(message)
        assert message.sent_at is None and message.attempts == 1 and message.last_error


# --- After commit, dev page, CLI --------------------------------------------------------------

def test_mail_is_delivered_right_after_commit(session, app):
    message = queue_mail(session, "commit@example.com", "After commit", "Text")
    assert message.sent_at is None
    session.commit()
    session.refresh(message)
    assert message.sent_at is not None and message.file_name


def test_nothing_is_sent_when_the_transaction_rolls_back(session):
    queue_mail(session, "rollback@example.com", "Never", "Text")
    session.rollback()
    assert session.query(OutboxMessage).filter_by(to_address="rollback@example.com").count() == 0


def test_dev_outbox_lists_and_shows_mail_with_local_links(client, db_session, app):
    base = app.config["SERVER_NAME_FOR_MAIL"].rstrip("/")
    queue_mail(db_session, "dev@example.com", "Verify <b>now</b>",
               f"Open {base}/verify/abc123.\nElsewhere: https://other.example/x?a=1&b=2\n<script>x</script>")
    db_session.commit()
    message = db_session.query(OutboxMessage).filter_by(to_address="dev@example.com").one()
    page = client.get("/dev/outbox").data.decode()
    assert "development only" in page.lower()
    assert "dev@example.com" in page and "Verify &lt;b&gt;now&lt;/b&gt;" in page and "sent" in page
    page = client.get(f"/dev/outbox/{message.id}").data.decode()
    assert '<a href="/verify/abc123">' in page
    assert '<a href="https://other.example/x?a=1&amp;b=2">' in page
    assert "<script>x" not in page and "&lt;script&gt;x" in page
    assert client.get("/dev/outbox/999999").status_code == 404


def test_dev_outbox_is_a_404_when_switched_off(client, monkeypatch):
    monkeypatch.setitem(client.application.config, "DEV_OUTBOX_PAGE", False)
    assert client.get("/dev/outbox").status_code == 404
    assert client.get("/dev/outbox/1").status_code == 404


def test_empty_outbox_page(client):
    response = client.get("/dev/outbox")
    assert response.status_code == 200


def test_cli_mail_send_retries_pending_mail(app, db_session, runner, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_COMMIT", False)
    queue_mail(db_session, "cli@example.com", "Later", "Text")
    db_session.commit()
    message = db_session.query(OutboxMessage).filter_by(to_address="cli@example.com").one()
    assert message.sent_at is None
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 message(s)" in result.output
    db_session.refresh(message)
    assert message.sent_at is not None


def test_dev_outbox_pages_newest_first(client, db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DELIVER_AFTER_COMMIT", False)
    for n in range(51):
        queue_mail(db_session, "many@example.com", f"Message number {n}", "Text")
    db_session.commit()
    page = client.get("/dev/outbox").data.decode()
    assert "Page 1 of 2" in page and "Message number 50" in page and "Message number 0<" not in page
    assert page.index("Message number 50") < page.index("Message number 49")
    assert "pending" in page
    second = client.get("/dev/outbox?page=2").data.decode()
    assert "Message number 0<" in second
