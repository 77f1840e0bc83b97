"""`portal demo`: fill an empty portal with a realistic, generated partner ecosystem."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the portal already has a company.")
@click.option("--seed", default=42, show_default=True, type=int, help="Same seed, same ecosystem.")
@click.option("--companies", default=160, show_default=True, type=click.IntRange(1, 5000))
@click.option("--people", default=850, show_default=True, type=click.IntRange(1, 50000))
@with_appcontext
def demo_command(if_empty: bool, seed: int, companies: int, people: int) -> None:
    """Create a demo ecosystem: companies, people, tags, connections and a few login accounts."""
    from sqlalchemy import select

    from portal.admin.owner import set_owner_company
    from portal.companies.models import Company
    from portal.companies.services import company_by_external_id
    from portal.db import db
    from portal.demo.documents import build_documents
    from portal.demo.follows import build_follows
    from portal.demo.generator import OWNER_ID, build_ecosystem, plan_ecosystem
    from portal.demo.introductions import build_introductions
    from portal.documents.storage import store_from_config
    from portal.errors import DomainError
    from portal.realtime import before_any_stream

    session = db.session
    if session.scalar(select(Company.id).limit(1)) is not None:
        if if_empty:
            click.echo("The portal already has companies; demo data not added.")
            return
        raise click.ClickException("The portal already has companies. The demo is meant for an empty database "
                                   "(use --if-empty to skip quietly).")
    started = time.perf_counter()
    # Midnight UTC today: runs on the same day with the same seed give identical data.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    plan = plan_ecosystem(seed, companies, people, now=today)
    try:
        result = build_ecosystem(session, plan)
        set_owner_company(session, company_by_external_id(session, OWNER_ID).id)  # owner staff for health
        result.counts.update(build_introductions(session, plan, result, now=today, seed=seed))
        result.counts.update(build_documents(session, plan, result, store_from_config(current_app.config),
                                             now=today, seed=seed))
        result.counts.update(build_follows(session, seed=seed))
        # Search, feeds and clouds take in the whole ecosystem after this one commit; live updates
        # have nobody to tell (every account and thread they would be for is created by it).
        with before_any_stream():
            session.commit()
    except (DomainError, RuntimeError) as error:
        session.rollback()
        raise click.ClickException(f"demo not created: {getattr(error, 'message', error)}") from None
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{kind}: {sum(c.values())}" for kind, c in result.counts.items())
    click.echo(f"Demo ecosystem created in {elapsed:.1f} s (seed {seed}): {summary}.")
    base = current_app.config.get("SERVER_NAME_FOR_MAIL", "http://127.0.0.1:5000").rstrip("/")
    click.echo(f"\nLog in at {base}/login")
    click.echo(f"  Ecosystem admin: {result.admin.email}  password: {result.admin.password}")
    for member in result.members:
        click.echo(f"  Member ({member.name}): {member.email}  password: {member.password}")
    click.echo("The passwords are shown only now. Some other demo people have joined (their passwords are not "
               "known) and take part in introductions; the rest are listed profiles without accounts.")


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(demo_command)
