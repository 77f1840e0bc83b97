"""`portal recommend PERSON` and `portal matching rebuild|evaluate`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from portal.db import db
from portal.errors import DomainError


def _parse_date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD or an ISO date-time).") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def register(app):
    """Attach this feature's commands."""

    @app.cli.command("recommend")
    @click.argument("person")
    @click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="How many people.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    def recommend(person: str, limit: int, as_json: bool) -> None:
        """People PERSON should meet (PERSON: email, external id or id), with reasons."""
        from portal.matching.services import recommend_people, resolve_person
        from portal.profiles.graph_export import person_names

        try:
            person_id = resolve_person(db.session, person)
        except DomainError as exc:
            raise click.UsageError(exc.message) from exc
        recommendations = recommend_people(db.session, person_id, limit=limit)
        names = person_names(db.session, [r.person_id for r in recommendations])
        rows = [{"id": r.person_id, "external_id": names[r.person_id][2], "name": names[r.person_id][0],
                 "score": r.score, "reasons": r.reasons} for r in recommendations if r.person_id in names]
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo("No recommendations yet: add needs, offers and skills, or take part in the forums.")
            return
        for rank, row in enumerate(rows, 1):
            click.echo(f"{rank:>3}. {row['name']} ({row['external_id']}, id {row['id']})  score {row['score']:.3f}")
            for reason in row["reasons"]:
                click.echo(f"       - {reason}")

    group = AppGroup("matching", help="The matching graph behind recommendations.")

    @group.command("rebuild")
    def rebuild() -> None:
        """Rebuild this process's matching graph from the database and print what it holds."""
        holder = app.extensions["matching"]
        graph = holder.rebuild()
        counts = graph.counts()
        click.echo(f"Rebuilt the matching graph: {counts['people']} people, {counts['companies']} companies, "
                   f"{counts['tags']} tags, {counts['edges']} edges in {graph.build_seconds:.2f} s.")

    @group.command("evaluate")
    @click.option("--before", "before", required=True, help="Train on what happened before this date.")
    @click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100))
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def evaluate_command(before: str, k: int, as_json: bool) -> None:
        """Precision@k and recall@k of the engine and baselines on new interactions after --before."""
        from portal.matching.evaluate import evaluate

        result = evaluate(db.session, _parse_date(before), k=k)
        if as_json:
            click.echo(json.dumps(result.as_dict(), indent=2))
            return
        click.echo(f"Trained before {result.before:%Y-%m-%d %H:%M}; {result.pairs} new pairs among "
                   f"{result.people} people afterwards.")
        click.echo(f"{'method':<14}{'precision@' + str(k):>14}{'recall@' + str(k):>12}")
        for row in result.results:
            click.echo(f"{row.method:<14}{row.precision:>14.4f}{row.recall:>12.4f}")
        if not result.people:
            click.echo("Nothing to predict: no new pairs between people active before that date.")

    app.cli.add_command(group)
