"""`portal mail send`: deliver pending mail (and retry failed messages)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.group("mail")
def mail_group() -> None:
    """The mail outbox."""


@mail_group.command("send")
@with_appcontext
def send_command() -> None:
    """Deliver every unsent message in the outbox."""
    from portal.db import db
    from portal.mail.delivery import deliver_pending
    from portal.mail.services import pending_count

    session = db.new_session()
    try:
        sent = deliver_pending(session, current_app.config)
        left = pending_count(session)
    finally:
        session.close()
    click.echo(f"Sent {sent} message(s); {left} still pending.")
    if left and not sent:
        raise click.ClickException(f"{left} message(s) could not be sent; see last_error on the dev outbox page.")


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(mail_group)
