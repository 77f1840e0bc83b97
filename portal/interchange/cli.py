"""`portal import FILE` and `portal export FILE`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

# Reporting stops listing problems after this many lines, but still counts them all.
MAX_REPORTED = 1000


@click.command("import")
@click.argument("path", metavar="FILE")
@with_appcontext
def import_command(path: str) -> None:
    """Import a JSON Lines file (all or nothing). FILE may be - for standard input."""
    from portal.db import db
    from portal.errors import DomainError
    from portal.interchange.core import InterchangeFileError, import_records, validate_file

    session = db.session
    try:
        records, errors, warnings = validate_file(path, session=session)
    except InterchangeFileError as error:
        raise click.ClickException(str(error)) from None
    for problem in (warnings + errors)[:MAX_REPORTED]:
        click.echo(str(problem), err=True)
    if errors:
        session.rollback()
        raise click.ClickException(f"{len(errors)} error(s) in {len(records) + len(errors)} record(s); "
                                   "nothing was imported.")
    try:
        counts = import_records(session, records)
        session.commit()
    except DomainError as error:
        session.rollback()
        raise click.ClickException(f"import failed, nothing was stored: {error.message}") from None
    except Exception as error:  # noqa: BLE001 - whatever happened, the transaction must not half-apply
        session.rollback()
        raise click.ClickException(f"import failed, nothing was stored: {error}") from None
    if not counts:
        click.echo("The file holds no records; nothing to import.")
    for kind, outcome in counts.items():
        click.echo(f"{kind}: {outcome['created']} created, {outcome['updated']} updated, "
                   f"{outcome['unchanged']} unchanged")


@click.command("export")
@click.argument("path", metavar="FILE")
@with_appcontext
def export_command(path: str) -> None:
    """Write everything that can be imported as JSON Lines to FILE (- for standard output)."""
    from portal.db import db
    from portal.interchange.core import write_export

    if path == "-":
        counts = write_export(db.session, sys.stdout)
        sys.stdout.flush()
    else:
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as out:
                counts = write_export(db.session, out)
        except OSError as error:
            raise click.ClickException(f"{path}: cannot be written ({error.strerror or error})") from None
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing"
    click.echo(f"Exported {summary}.", err=True)


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
