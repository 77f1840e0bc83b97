"""`portal webhooks deliver`: send due webhook deliveries (cron, or a worker with --every)."""

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


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(webhooks_group)
