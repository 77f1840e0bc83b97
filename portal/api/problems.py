"""Errors of the API as RFC 9457 problem documents (application/problem+json).

Everything under /api/v1 answers errors this way, never with an HTML page: the blueprint's
handlers cover what its views raise, and `routing_problem` covers what fails before a view is
chosen (an unknown address: 404, a known one with another method: 405).
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response

PROBLEM_JSON = "application/problem+json"


class ApiProblem(Exception):
    """Raised by the API's views and helpers; the blueprint turns it into a problem response."""

    def __init__(self, status: int, detail: str, *, title: str | None = None, headers: dict | None = None,
                 **extensions) -> None:
        super().__init__(detail)
        self.status, self.detail, self.title = status, detail, title
        self.headers = headers or {}
        self.extensions = extensions


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(status: int, detail: str, *, title: str | None = None, headers: dict | None = None,
                     **extensions) -> Response:
    """A problem document with type "about:blank" (RFC 9457 section 4.2.1: the status says it all),
    the status's title, our explanation in `detail`, and extension members such as `errors`."""
    body = {"type": "about:blank", "title": title or _title(status), "status": status, "detail": detail}
    body.update(extensions)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_problem(problem: ApiProblem) -> Response:
    return problem_response(problem.status, problem.detail, title=problem.title, headers=problem.headers,
                            **problem.extensions)
