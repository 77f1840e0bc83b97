"""`portal webhooks deliver` sends due deliveries (cron, or a worker with --every); `portal webhooks
prune` keeps the delivery log from growing for ever."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.group("webhooks")
def webhooks_group() -> None:
    """Outgoing webhooks."""


@webhooks_group.command("deliver")
@click.option("--every", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Keep running and look for due deliveries every SECONDS (a worker process).")
@with_appcontext
def deliver_command(every: float | None) -> None:
    """Send every delivery that is due: new ones a web process did not send, and retries."""
    from portal.db import db
    from portal.webhooks.delivery import BATCH, DeliverySettings, deliver_due

    settings = DeliverySettings.from_config(current_app.config)
    while True:
        session = db.new_session()
        try:
            total = None
            while total is None or total.delivered + total.failed_attempts == BATCH:
                total = deliver_due(session, settings)
                click.echo(f"Delivered {total.delivered}; {total.failed_attempts} failed attempt(s), "
                           f"{total.gave_up} given up.")
        finally:
            session.close()
        if every is None:
            return
        time.sleep(every)


@webhooks_group.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Keep the log of the last DAYS days.")
@with_appcontext
def prune_command(days: int) -> None:
    """Delete delivered and failed deliveries (and their attempts) older than DAYS days."""
    from datetime import timedelta

    from portal.db import db, utcnow
    from portal.webhooks.services import prune_deliveries

    removed = prune_deliveries(db.session, utcnow() - timedelta(days=days))
    db.commit()
    click.echo(f"Deleted {removed} delivery(ies) older than {days} days.")


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(webhooks_group)
