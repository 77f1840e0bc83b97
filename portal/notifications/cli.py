"""`portal notifications digest`: the daily digest mail (run it from cron once a day)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext


@click.group("notifications")
def notifications_group() -> None:
    """In-app and mail notifications."""


@notifications_group.command("digest")
@with_appcontext
def digest_command() -> None:
    """Mail each person their waiting digest notifications (one transaction per person)."""
    from portal.db import db
    from portal.notifications.digest import digest_for, people_waiting

    session = db.new_session()
    mailed = skipped = contended = 0
    try:
        for person_id in people_waiting(session):
            session.commit()  # nothing held between people
            result = digest_for(session, person_id)
            if result is None:
                session.rollback()  # another run claimed this person's items at the same moment
                contended += 1
                continue
            session.commit()
            mailed += 1 if result.mailed else 0
            skipped += result.skipped
    finally:
        session.close()
    click.echo(f"Queued {mailed} digest mail(s); {skipped} waiting notification(s) needed no mail"
               + (f"; {contended} person(s) left to a digest run going on at the same time." if contended else "."))


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(notifications_group)
