"""OpenID Provider throughput: token endpoint (client credentials) and introspection requests per
second in one process, and what a back-end pays to validate a token with a cached JWKS.

Usage: .venv/bin/python benchmarks/provider.py [--requests 2000] [--database-url URL]

The app runs in process (Flask test client, no network), on a fresh SQLite file by default or on
the PostgreSQL database given with --database-url (its tables are created by the migration).
A back-end system with three entitlements is registered by a company that partners with the
client's company, so every token carries org and entitlements and every introspection checks
that they are still granted. Validation: joserfc with the JWKS parsed once, RS256 pinned,
signature + iss + aud + exp checked. Target (issue 5): validation under 1 ms per token.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AUDIENCE = "https://orders.bench.example"


def _setup(app):
    from portal.auth.provider.clients import register_client
    from portal.db import db
    from portal.partnerships import grants, services, systems
    from tests.test_companies_support import make_company, make_user

    with app.app_context():
        session = db.session
        _u, owner_admin = make_user(session, name="Owner Admin")
        make_company(session, owner_admin, name="Owner")
        _u, partner_admin = make_user(session, name="Partner Admin")
        partner = make_company(session, partner_admin, name="Partner")
        partnership = services.propose(session, owner_admin, partner.id, "integration")
        services.answer(session, partner_admin, partnership.id, True)
        system = systems.register_system(session, owner_admin, name="Orders", audience=AUDIENCE)
        for name in ("orders:read", "orders:write", "invoices:read"):
            grants.grant(session, owner_admin, system, systems.define_entitlement(
                session, owner_admin, system, name=name), kind="integration")
        client, secret = register_client(session, name="Partner ERP", owner_company_id=partner.id,
                                         redirect_uris=[], grant_types=["client_credentials"],
                                         token_endpoint_auth_method="client_secret_basic",  # noqa: S106
                                         scopes=["entitlements"], audience=AUDIENCE)
        system_client_id, system_secret = systems.create_client(session, owner_admin, system)
        db.commit()
        return (client.client_id, secret), (system_client_id, system_secret)


def _basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _rate(label: str, durations: list[float]) -> None:
    total = sum(durations)
    ordered = sorted(durations)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{label:44s} {len(durations) / total:8.0f} req/s   mean {statistics.mean(durations) * 1000:6.2f} ms"
          f"   p95 {p95 * 1000:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from joserfc import jwt
    from joserfc.jwk import KeySet

    from portal import create_app
    from portal.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="provider-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    os.environ.setdefault("PORTAL_INSTANCE_PATH", str(folder))
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench-secret",
                      "RATELIMIT_ENABLED": False, "SMTP_HOST": ""})
    logging_off()
    (client_id, secret), (system_id, system_secret) = _setup(app)
    http = app.test_client()
    issue_headers = _basic(client_id, secret)

    def issue() -> str:
        response = http.post("/oauth/token", headers=issue_headers, data={"grant_type": "client_credentials"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    for _ in range(20):
        issue()  # warm-up: key decrypted and cached, statements prepared
    durations, tokens = [], []
    for _ in range(args.requests):
        start = time.perf_counter()
        tokens.append(issue())
        durations.append(time.perf_counter() - start)
    backend = url.split(":", 1)[0]
    print(f"database: {backend}; {args.requests} requests each")
    _rate("token endpoint (client credentials)", durations)

    introspect_headers = _basic(system_id, system_secret)
    durations = []
    for token in tokens:
        start = time.perf_counter()
        response = http.post("/oauth/introspect", headers=introspect_headers, data={"token": token})
        durations.append(time.perf_counter() - start)
        assert response.get_json()["active"] is True
    _rate("introspection (entitlements re-checked)", durations)

    key_set = KeySet.import_key_set(http.get("/oauth/jwks").get_json())  # the back-end's cached JWKS
    issuer = app.config["SERVER_NAME_FOR_MAIL"].rstrip("/")
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer},
                                     aud={"essential": True, "value": AUDIENCE}, exp={"essential": True})
    start = time.perf_counter()
    for token in tokens:
        registry.validate(jwt.decode(token, key_set, algorithms=["RS256"]).claims)
    per_token = (time.perf_counter() - start) / len(tokens)
    print(f"{'back-end validation (cached JWKS, RS256)':44s} {per_token * 1e6:8.0f} µs per token "
          f"(target < 1000 µs)")


def logging_off() -> None:
    import logging

    logging.getLogger().setLevel(logging.WARNING)


if __name__ == "__main__":
    main()
