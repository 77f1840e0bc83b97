#!/usr/bin/env bash
# Until the first release the schema is one migration; regenerate it after a model change.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f portal/migrations/versions/*.py
PORTAL_INSTANCE_PATH="$tmp" SECRET_KEY=x .venv/bin/python - <<'PY'
from alembic import command
from portal import create_app
from portal.migrate import alembic_config
app = create_app()
with app.app_context():
    command.revision(alembic_config(app.config["DATABASE_URL"]), message="initial schema",
                     autogenerate=True, rev_id="0001")
PY
rm -rf "$tmp"
ls portal/migrations/versions
