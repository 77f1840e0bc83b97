"""`portal broker suggest`: compute a batch from the command line.

On a large ecosystem the engine's candidate pairs take longer than a web request should (about
100 s at 10k people); a batch made here is stored like one made in the console, which lists it
under "Recent batches" for the admins to propose from.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.broker.services import (
    MAX_CANDIDATES_PER_PERSON,
    MAX_PER_PERSON_LIMIT,
    BatchOptions,
    Segment,
    batch_status_counts,
    suggest_batch,
)
from portal.db import db
from portal.errors import DomainError


def register(app):
    """Attach this feature's commands."""
    group = AppGroup("broker", help="The broker console's batches of suggested introductions.")

    @group.command("suggest")
    @click.option("--region", default="", help="Region of people's companies.")
    @click.option("--industry", default="", help="Industry of people's companies.")
    @click.option("--partner-type", default="", help="Partner type of people's companies (isv, reseller, …).")
    @click.option("--any-side", is_flag=True, help="Pairs with at least one person in the segment (default: both).")
    @click.option("-k", "--per-person", "per_person", default=2, show_default=True,
                  type=click.IntRange(1, MAX_PER_PERSON_LIMIT), help="Proposals a person may receive per week.")
    @click.option("--candidates", default=10, show_default=True, type=click.IntRange(1, MAX_CANDIDATES_PER_PERSON),
                  help="Candidates the engine considers per person.")
    @click.option("--broker", "broker_email", default="", help="Email of the ecosystem admin the batch is for.")
    def suggest(region: str, industry: str, partner_type: str, any_side: bool, per_person: int, candidates: int,
                broker_email: str) -> None:
        """Compute and store a batch; prints its size, total score and how it was solved."""
        from portal.profiles.services import person_by_email

        broker_id = None
        if broker_email:
            broker = person_by_email(db.session, broker_email.strip())
            if broker is None:
                raise click.UsageError(f"No person with the email {broker_email!r}.")
            broker_id = broker.id
        options = BatchOptions(segment=Segment(region, industry, partner_type), per_person_limit=per_person,
                               candidates_per_person=candidates, both_in_segment=not any_side)
        try:
            batch = suggest_batch(db.session, broker_id, options)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.UsageError(error.message) from None
        solved = "exact optimum" if batch.method == "exact" else "greedy + local search, >= 1/2 of the optimum"
        size = sum(batch_status_counts(db.session, batch.id).values())
        click.echo(f"Batch {batch.id}: {size} introductions, {batch.total_score:.2f} total score from "
                   f"{batch.candidate_pairs} candidate pairs ({solved}) in {batch.elapsed_ms / 1000:.1f} s. "
                   f"Open /broker/batches/{batch.id} to propose.")

    app.cli.add_command(group)
