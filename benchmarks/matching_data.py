"""Build a synthetic partner ecosystem for the matching benchmark (issue 4).

Usage: .venv/bin/python benchmarks/matching_data.py --people N --database-url URL --instance-path DIR
           [--seed 4]

Creates the schema (portal.migrate.upgrade) and fills it with bulk Core inserts (executemany in
chunks, no ORM object per row), with the skew real ecosystems have:
- companies (N/6): Zipf-like sizes, regions, industries and partner types drawn with the demo's
  weights; one ecosystem owner ("PartnerMesh Platform Inc.", external id demo-owner) whose staff
  answer a lot in the forums (hub-and-spoke) and include the ecosystem admins;
- people with company membership (an admin per company, a few pending, a few independents),
  login accounts for most of them (a few suspended, a few unverified), and a mix of visibility
  settings (default, all public, private-ish, connections only);
- a tag vocabulary of a few thousand names with Zipf popularity, leaning towards each company's
  industry: company offers and needs, person skills, interests, offers and needs;
- connections: colleagues (clustering inside companies), preferential attachment across
  companies with regional homophily, and friends of friends;
- forums over two years: public, members-only and private-group categories, threads tagged with
  the asker's topics, Zipf-skewed authors (the owner's staff among the most active), people who
  share a thread's topic answering it, quote-replies, mentions, reactions and accepted answers.
Post bodies are one sentence from a small template set (the matching graph does not read them).

At 100k people the matching graph has about 1M edges; the generator counts them the way the
graph does (works-at + connections + person pairs that interacted in the forums + person-tag
incl. tags of threads a person wrote in + company-tag) and writes the counts with everything it
created to DIR/matching-data.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from matching_plan import Plan, count_edges, plan_ecosystem  # noqa: E402

CHUNK = 10_000
# Tables whose ids the generator chooses; PostgreSQL's sequences must be moved past them.
ID_TABLES = ("companies", "users", "persons", "tags", "forum_groups", "forum_categories", "forum_threads",
             "forum_posts")


def write_plan(engine, plan: Plan) -> dict[str, int]:
    """Insert every planned row in one transaction, parents before children. Returns rows per table."""
    from sqlalchemy import text

    import portal.models  # noqa: F401 - registers every table on the metadata
    from portal.db import Base

    tables = Base.metadata.tables
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for name, rows in plan.rows.items():
            table = tables[name]
            for start in range(0, len(rows), CHUNK):
                conn.execute(table.insert(), rows[start:start + CHUNK])
            counts[name] = len(rows)
        if engine.dialect.name == "postgresql":
            for name in ID_TABLES:  # constants, not input
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                                  f"(SELECT coalesce(max(id), 1) FROM {name}))"))
            # Planner statistics, as a database in use has them (autovacuum would get there later;
            # without them the first measurements see bad plans).
            conn.execute(text("ANALYZE"))
    return counts


def ensure_database(url: str) -> None:
    """Create the database when it does not exist yet: a PostgreSQL database (through the server's
    `postgres` database), or the folder of an SQLite file."""
    from sqlalchemy import create_engine, make_url, text

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": parsed.database}).first()
            if exists is None:
                name = parsed.database.replace('"', '""')
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def generate(database_url: str, people: int, *, seed: int = 4, now: datetime | None = None) -> dict:
    """Migrate the database at `database_url`, fill it, and return what was created with timings."""
    from sqlalchemy import select

    from portal.config import normalize_database_url
    from portal.db import make_engine
    from portal.migrate import upgrade
    from portal.profiles.models import Person

    url = normalize_database_url(database_url)
    if people < 20:
        raise SystemExit("--people must be at least 20")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    ensure_database(url)
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        if conn.execute(select(Person.id).limit(1)).first() is not None:
            raise SystemExit("The database already has people: give an empty one.")
    timings["migrate"] = time.perf_counter() - started
    # Midnight UTC today: the same seed on the same day gives the same data, and the newest
    # forum activity is recent (the graph weighs recent interactions more).
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    plan = plan_ecosystem(people, seed=seed, now=now)
    timings["plan"] = time.perf_counter() - started
    started = time.perf_counter()
    edges = count_edges(plan)
    timings["count_edges"] = time.perf_counter() - started
    started = time.perf_counter()
    rows = write_plan(engine, plan)
    timings["insert"] = time.perf_counter() - started
    engine.dispose()
    return {"people": people, "seed": seed, "now": now.isoformat(), "rows": rows, "edges": edges,
            "shape": plan.shape, "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--database-url", required=True, help="An empty or not yet existing database "
                                                             "(sqlite:///FILE or postgresql://USER@HOST:PORT/NAME).")
    parser.add_argument("--instance-path", required=True, help="The portal's instance folder; the summary "
                                                               "goes to matching-data.json in it.")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    instance = Path(args.instance_path).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    total = time.perf_counter()
    result = generate(args.database_url, args.people, seed=args.seed)
    result["timings"]["total"] = time.perf_counter() - total
    (instance / "matching-data.json").write_text(json.dumps(result, indent=2))
    print(f"{args.people:,} people; rows: " + ", ".join(f"{name} {n:,}" for name, n in result["rows"].items()))
    edges = result["edges"]
    print("graph edges (as the matching graph counts them): "
          + ", ".join(f"{name} {n:,}" for name, n in edges.items()))
    print("shape: " + ", ".join(f"{name} {value}" for name, value in result["shape"].items()))
    t = result["timings"]
    print(f"done in {t['total']:.1f} s (migrate {t['migrate']:.1f} s, plan {t['plan']:.1f} s, "
          f"insert {t['insert']:.1f} s); summary in {instance / 'matching-data.json'}")


if __name__ == "__main__":
    main()
