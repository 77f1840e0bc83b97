"""An example member back-end: an orders API that trusts PartnerMesh for who may call it.

    cd examples && PORTAL_ISSUER=http://127.0.0.1:5000 BACKEND_AUDIENCE=https://orders.acme.example/api \
        flask --app partner_backend run --port 5001

GET  /orders        needs the entitlement orders:read   — the orders placed so far
POST /orders        needs the entitlement orders:write  — place one: {"item": "...", "quantity": 3}
GET  /me            any valid token for this audience   — what the back-end read from the token
GET  /healthz       no token                            — liveness

The portal decides who holds which entitlement (company admins grant them to partner companies
on /partnerships/systems); this service only verifies the token (see bearer.py and trust.py).
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request

from .bearer import PortalResourceProtector, PortalTokenValidator, current_token
from .orders import OrderBook, OrderError
from .trust import PortalTrust


def create_app(config: dict | None = None) -> Flask:
    """The back-end app. Settings: PORTAL_ISSUER and BACKEND_AUDIENCE (required), BACKEND_DATABASE
    (SQLite file for orders), JWKS_MIN_REFETCH_SECONDS (rate limit on refetching keys)."""
    app = Flask(__name__)
    app.config.update(
        PORTAL_ISSUER=os.environ.get("PORTAL_ISSUER", ""),
        BACKEND_AUDIENCE=os.environ.get("BACKEND_AUDIENCE", ""),
        BACKEND_DATABASE=os.environ.get("BACKEND_DATABASE", os.path.join(app.instance_path, "orders.db")),
        JWKS_MIN_REFETCH_SECONDS=float(os.environ.get("JWKS_MIN_REFETCH_SECONDS", "30")),
    )
    app.config.update(config or {})
    for name in ("PORTAL_ISSUER", "BACKEND_AUDIENCE"):
        if not app.config[name]:
            raise SystemExit(f"{name} is not set: see examples/partner_backend/README.md")

    trust = PortalTrust(app.config["PORTAL_ISSUER"], min_refetch_seconds=app.config["JWKS_MIN_REFETCH_SECONDS"])
    require_token = PortalResourceProtector()
    require_token.register_token_validator(PortalTokenValidator(trust, app.config["BACKEND_AUDIENCE"]))
    book = OrderBook(app.config["BACKEND_DATABASE"])
    app.extensions["partner_backend"] = {"trust": trust, "orders": book}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/me")
    @require_token()
    def me():
        token = current_token
        return {"sub": token["sub"], "client_id": token["client_id"], "org": token.get("org"),
                "entitlements": token.entitlements}

    @app.get("/orders")
    @require_token(entitlements="orders:read")
    def list_orders():
        return {"orders": book.all()}

    @app.post("/orders")
    @require_token(entitlements="orders:write")
    def place_order():
        body = request.get_json(silent=True)
        try:
            order = book.place(body, placed_by=current_token["sub"], org=_org_id(current_token))
        except OrderError as error:
            return jsonify({"error": "invalid_request", "error_description": str(error)}), 400
        return jsonify(order), 201

    return app


def _org_id(token) -> str | None:
    org = token.get("org")
    return str(org["id"]) if isinstance(org, dict) and org.get("id") is not None else None
