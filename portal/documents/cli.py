"""`portal documents prune`: remove stored files no version points to, and abandoned uploads."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.group("documents")
def documents_group() -> None:
    """Company documents."""


@documents_group.command("prune")
@click.option("--older-than", "older_than", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Hours: younger files may belong to an upload still being published.")
@with_appcontext
def prune_command(older_than: float) -> None:
    """Delete document files that no version references (left by a failed or interrupted upload)."""
    from portal.db import db
    from portal.documents.services import referenced_files
    from portal.documents.storage import store_from_config

    session = db.new_session()
    try:
        referenced = referenced_files(session)
    finally:
        session.close()
    removed = store_from_config(current_app.config).prune(referenced, older_than=older_than * 3600)
    click.echo(f"Removed {removed} unreferenced file(s).")


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(documents_group)
