"""`portal clouds …`: rebuild the precomputed tag-cloud tables."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db import db


def register(app):
    """Attach this feature's commands."""
    group = AppGroup("clouds", help="Tag clouds of people, companies, categories and the ecosystem.")

    @group.command("rebuild")
    def rebuild() -> None:
        """Recompute every cloud from the forum posts and profile tags (after imports or for benchmarks)."""
        from portal.clouds.events import cache_of
        from portal.clouds.rebuild import rebuild_all

        stats = rebuild_all(db.session)
        db.commit()
        cache_of(app).clear()
        click.echo(f"Rebuilt tag clouds: {stats.posts} posts, {stats.people} people, "
                   f"{stats.person_terms} person terms, {stats.bucket_terms} totals in {stats.seconds:.1f} s "
                   f"({stats.posts_per_second:.0f} posts/s).")

    app.cli.add_command(group)
