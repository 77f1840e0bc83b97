"""Alembic, driven from the app's config: `portal db upgrade`, `portal db revision`."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import with_appcontext

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


@click.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("Database is up to date.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def revision_command(message: str) -> None:
    """Autogenerate a migration from model changes (developers)."""
    command.revision(alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=True)


@db_group.command("current")
@with_appcontext
def current_command() -> None:
    """Show the applied revision."""
    command.current(alembic_config(current_app.config["DATABASE_URL"]))
