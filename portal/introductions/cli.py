"""`portal introductions expire` and `portal introductions followup`: jobs to run daily (cron)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.group("introductions")
def introductions_group() -> None:
    """Introductions between members."""


@introductions_group.command("expire")
@with_appcontext
def expire_command() -> None:
    """Mark pending introductions past their expiry date as expired."""
    from portal.db import db
    from portal.introductions.services import expire_due

    session = db.new_session()
    try:
        count = expire_due(session)
        session.commit()
    finally:
        session.close()
    click.echo(f"Expired {count} introduction(s).")


@introductions_group.command("followup")
@with_appcontext
def followup_command() -> None:
    """Ask both people of each introduction accepted long enough ago whether they met (once)."""
    from portal.db import db
    from portal.introductions.followup import send_followups
    from portal.introductions.settings import settings_from

    settings = settings_from(current_app.config)
    session = db.new_session()
    try:
        count = send_followups(session, settings=settings)
        session.commit()
    finally:
        session.close()
    click.echo(f"Sent follow-ups for {count} introduction(s) accepted at least {settings.followup_days} days ago.")


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(introductions_group)
