"""`portal tags …` commands: list tags with their use counts, merge synonyms."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db import db
from portal.errors import DomainError
from portal.tags.services import find_tag, merge_tags, popular_tags_statement


def register(app):
    """Attach this feature's commands."""
    group = AppGroup("tags", help="Tags of people and companies.")

    @group.command("list")
    @click.option("--prefix", default="", help="Only tags whose key starts with this.")
    def list_tags(prefix: str) -> None:
        """Print every tag with its number of uses, most used first."""
        for tag, uses in db.session.execute(popular_tags_statement(prefix)):
            click.echo(f"{uses:6d}  {tag.key}  ({tag.name})")

    @group.command("merge")
    @click.argument("source")
    @click.argument("target")
    def merge(source: str, target: str) -> None:
        """Merge tag SOURCE into TARGET; SOURCE becomes an alias of TARGET."""
        source_tag, target_tag = find_tag(db.session, source), find_tag(db.session, target)
        if source_tag is None:
            raise click.ClickException(f"No tag {source!r}.")
        if target_tag is None:
            raise click.ClickException(f"No tag {target!r}.")
        try:
            source_key = source_tag.key
            merge_tags(db.session, source_tag, target_tag)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        click.echo(f"Merged {source_key!r} into {target_tag.key!r}.")

    app.cli.add_command(group)
