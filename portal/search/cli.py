"""`portal reindex`: rebuild the search index from the database."""

from __future__ import annotations

import click

from portal.db import db


def register(app) -> None:
    @app.cli.command("reindex")
    def reindex() -> None:
        """Rebuild the search index from the database (searches keep working meanwhile)."""
        from collections import Counter

        from portal.search.documents import KINDS, POST, THREAD
        from portal.search.services import backend_of, rebuild

        kinds: Counter = Counter()
        count, seconds = rebuild(db.session, kinds)
        seconds = max(seconds, 1e-6)
        posts = kinds[THREAD] + kinds[POST]  # a thread's document is its opening post
        click.echo(", ".join(f"{kinds[kind]:,} {label.lower()}" for kind, label in KINDS.items()))
        click.echo(f"Indexed {count:,} documents with the {backend_of(db.session).name} backend in {seconds:.1f} s "
                   f"({count / seconds:,.0f} documents/s, {posts / seconds:,.0f} posts/s).")
