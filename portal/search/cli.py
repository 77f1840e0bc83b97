"""`portal reindex`: rebuild the search index from the database."""

from __future__ import annotations

import click

from portal.db import db


def register(app) -> None:
    @app.cli.command("reindex")
    def reindex() -> None:
        """Rebuild the search index from the database (searches keep working meanwhile)."""
        from portal.search.services import backend_of, rebuild

        session = db.session
        count, seconds = rebuild(session)
        rate = count / seconds if seconds else float(count)
        click.echo(f"Indexed {count:,} documents with the {backend_of(session).name} backend "
                   f"in {seconds:.1f} s ({rate:,.0f} documents/s).")
