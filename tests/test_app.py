"""The app boots, migrations match the models, pages carry security headers."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.db import Base, db


def test_home_page_renders_with_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_migrations_match_models(app):
    """A model change without a migration would break `make run` on an existing database."""
    with app.app_context():
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}),
                                    Base.metadata)
    assert diff == []


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"There is nothing at this address" in response.data
