"""The /api/v1 blueprint: problem documents for every error, conditional GETs, rate limits."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from portal.api.auth import rate_limit_key, read_limit
from portal.api.problems import ApiProblem, from_problem, problem_response
from portal.errors import DomainError, PermissionDenied
from portal.errors import NotFound as DomainNotFound
from portal.extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limiter.limit(read_limit, key_func=rate_limit_key)(bp)


@bp.errorhandler(ApiProblem)
def _problem(problem: ApiProblem):
    return from_problem(problem)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    """A service refused: missing things are 404, forbidden ones 403, the rest 422 (the request
    was well-formed but cannot be done), with the service's own words."""
    if isinstance(error, DomainNotFound):
        return problem_response(404, error.message)
    if isinstance(error, PermissionDenied):
        return problem_response(403, error.message)
    errors = [{"field": error.field, "message": error.message}] if error.field else None
    return problem_response(422, error.message, **({"errors": errors} if errors else {}))


def http_problem(error: HTTPException):
    """Any HTTP error (404, 405, 413, 429 …) as a problem document, keeping its headers (Allow)."""
    status = error.code or 500
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    detail = error.description or ""
    if isinstance(error, NotFound):
        detail = "There is nothing at this address in the API (see /api/v1/openapi.json)."
    elif isinstance(error, MethodNotAllowed):
        detail = f"{request.method} is not allowed here."
    elif status == 413:
        detail = "The request body is larger than this operation accepts."
    elif status == 429:
        detail = f"Too many requests from this client (limit: {error.description}). Wait and try again."
        limit = limiter.current_limit
        if limit is not None:
            headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
    return problem_response(status, detail, headers=headers)


bp.register_error_handler(HTTPException, http_problem)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
        raise error
    current_app.logger.exception("API request failed")
    return problem_response(500, "Something went wrong on our side; the error was logged.")


@bp.after_request
def _conditional(response):
    """GET answers carry an ETag (a digest of the body) and answer If-None-Match with 304; they
    depend on who asks, so shared caches must not keep them."""
    response.vary.add("Authorization")
    if request.method == "GET" and response.status_code == 200 and response.mimetype == "application/json":
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.add_etag()
        response.make_conditional(request)
    return response
