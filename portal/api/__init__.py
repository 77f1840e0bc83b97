"""The integration API (/api/v1): JSON for member systems and people's applications.

Bearer tokens come from the portal's own OpenID Provider; every operation names the scope it
needs; errors are RFC 9457 problem documents; the OpenAPI document is generated from the code
(portal/api/spec.py).
"""

from __future__ import annotations

import os

from flask import Flask, request

API_PREFIX = "/api/v1"
DEFAULTS = {
    "API_RATELIMIT": ("PORTAL_API_RATELIMIT", "600 per minute"),
    "API_WRITE_RATELIMIT": ("PORTAL_API_WRITE_RATELIMIT", "60 per minute"),
    "API_MAX_JSON_BYTES": ("PORTAL_API_MAX_JSON_BYTES", 64 * 1024),
}


def _setting(env_name: str, default):
    """A setting from the environment; a bad value stops start-up with its name."""
    from limits import parse_many

    raw = os.environ.get(env_name)
    if raw is None or not raw.strip():
        return default
    if isinstance(default, int):
        if not raw.strip().isdigit() or int(raw) <= 0:
            raise SystemExit(f"{env_name}={raw!r}: expected a whole number above 0")
        return int(raw)
    try:
        parse_many(raw)
    except ValueError:
        raise SystemExit(f"{env_name}={raw!r}: expected a rate limit such as '600 per minute'") from None
    return raw.strip()


def _routing_problem():
    """Before any view runs: an address under /api/v1 that matches no route (404), or matches
    with another method (405), answers with a problem document instead of the HTML error page
    (blueprint error handlers never see these: no blueprint was chosen)."""
    in_api = request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")
    if request.routing_exception is None or not in_api:
        return None
    from portal.api.blueprint import http_problem

    error = request.routing_exception
    if getattr(error, "code", None) in (404, 405):
        return http_problem(error)
    return None


def init_app(app: Flask) -> None:
    """Settings, the provider's knowledge of this API as a resource, and the 404/405 hook."""
    from portal import web
    from portal.extensions import csrf

    for name, (env_name, default) in DEFAULTS.items():
        app.config.setdefault(name, _setting(env_name, default))
    # Tokens for this API name it as their audience (RFC 8707 `resource`); the provider accepts it.
    paths = app.config.setdefault("OIDC_PORTAL_RESOURCE_PATHS", [])
    if API_PREFIX not in paths:
        paths.append(API_PREFIX)
    app.before_request(_routing_problem)

    from portal.api import views, writes  # noqa: F401 - routes on the blueprint
    from portal.api.blueprint import bp
    from portal.api.spec import OPERATIONS

    csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a cross-site form to ride on
    web.OPEN_ENDPOINTS.update({op.endpoint for op in OPERATIONS} | {"api.openapi"})
