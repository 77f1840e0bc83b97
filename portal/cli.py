"""The `portal` command: a Flask CLI group that carries every admin command."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app():
    from portal import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """PartnerMesh administration."""


def register_commands(app: Flask) -> None:
    """Attach every feature's commands to the app's CLI."""
    from portal.migrate import db_group

    app.cli.add_command(db_group)
    for module_name in ("portal.auth.cli", "portal.interchange.cli", "portal.demo.cli", "portal.mail.cli",
                        "portal.tags.cli", "portal.clouds.cli", "portal.search.cli", "portal.introductions.cli",
                        "portal.matching.cli", "portal.broker.cli", "portal.auth.provider.cli", "portal.webhooks.cli",
                        "portal.notifications.cli"):
        module = __import__(module_name, fromlist=["register"])
        module.register(app)
    from portal.documents import cli as documents_cli; documents_cli.register(app)  # noqa: E702, I001
