"""Operations of the API, registered once and described from that registration.

`operation(...)` adds a Flask route and records what it takes and returns (pydantic models, the
scope it needs); `openapi_document()` builds the OpenAPI 3.1 document from those records, so the
document cannot drift from the code. `parse_query` / `parse_json` validate requests with the same
models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from portal.api import schemas
from portal.api.problems import PROBLEM_JSON, ApiProblem

SCOPES = {
    "api.read": "Read profiles, companies, forum threads, search and recommendations as the caller may see them",
    "feeds.write": "Post activities into your company's feed",
    "documents.write": "Publish new versions of your company's documents",
}
INT_MAX = 2_147_483_647  # path ids above a 32-bit integer cannot exist (and would overflow the database type)
SLUG_PATTERN = r"^[A-Za-z0-9._-]{1,120}$"
SLUG = re.compile(SLUG_PATTERN)
_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
ERROR_TEXT = {
    400: "The query string or the request is malformed (the problem says which parameter)",
    401: "No token, or a token that is invalid, expired, revoked or for another audience",
    403: "The token lacks the scope this operation needs, or the caller may not do this",
    404: "Nothing the caller may see is at this address",
    413: "The request body is larger than allowed",
    415: "The body is not of a media type this operation accepts",
    422: "The body is well-formed but does not match the schema (wrong types, unknown or missing fields)",
    429: "Too many requests from this client: wait for Retry-After seconds",
}


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    scope: str
    response: type[BaseModel]
    status: int = 200
    query: type[BaseModel] | None = None
    bodies: dict[str, type[BaseModel]] = field(default_factory=dict)
    tag: str = "read"
    errors: tuple[int, ...] = (400, 401, 403, 429)

    @property
    def path(self) -> str:
        return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", self.rule)

    def path_parameters(self) -> list[dict]:
        parameters = []
        for converter, name in _CONVERTER.findall(self.rule):
            schema = ({"type": "integer", "minimum": 1, "maximum": INT_MAX} if converter == "int"
                      else {"type": "string", "pattern": SLUG_PATTERN})
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return parameters


OPERATIONS: list[Operation] = []
PREFIX = "/api/v1"


def operation(bp: Blueprint, rule: str, *, summary: str, scope: str, response: type[BaseModel],
              method: str = "GET", status: int = 200, query: type[BaseModel] | None = None,
              bodies: dict[str, type[BaseModel]] | None = None, tag: str = "read",
              errors: tuple[int, ...] | None = None) -> Callable:
    """Register a view as an API operation (a route on `bp` plus its description)."""
    if errors is None:
        errors = (400, 401, 403, 404, 429) if "<" in rule or query is None else (400, 401, 403, 429)
        if bodies:
            errors = tuple(sorted({*errors, 404, 413, 415, 422}))

    def decorator(view: Callable) -> Callable:
        OPERATIONS.append(Operation(method=method, rule=rule, endpoint=f"{bp.name}.{view.__name__}",
                                    summary=summary, scope=scope, response=response, status=status, query=query,
                                    bodies=dict(bodies or {}), tag=tag, errors=errors))
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return decorator


# --- validating requests --------------------------------------------------------------------------

def _field_errors(error: ValidationError) -> list[dict]:
    return [{"field": ".".join(str(part) for part in item["loc"]) or "(body)", "message": item["msg"]}
            for item in error.errors(include_url=False)]


def parse_query(model: type[BaseModel]):
    """The query string as `model`; a bad or unknown parameter is a 400 problem naming it."""
    values = {}
    for name in request.args:
        items = request.args.getlist(name)
        if len(items) > 1:
            raise ApiProblem(400, f"Give the parameter {name!r} once.", errors=[
                {"field": name, "message": "repeated"}])
        if "\x00" in items[0]:
            raise ApiProblem(400, f"The parameter {name!r} contains a NUL character.")
        values[name] = items[0]
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ApiProblem(400, "The query string is not valid.", errors=_field_errors(error)) from None


def _content_type() -> str:
    return (request.mimetype or "").lower()


def parse_json(model: type[BaseModel], max_bytes: int):
    """The JSON body as `model`. 415 when it is not JSON, 413 when larger than `max_bytes`,
    400 when it is not well-formed JSON, 422 when it does not match the schema."""
    if _content_type() != "application/json":
        raise ApiProblem(415, "Send the body as application/json.", headers={"Accept-Post": "application/json"})
    request.max_content_length = max_bytes  # werkzeug raises 413 while reading past it (also when chunked)
    raw = request.get_data(cache=True)
    return validate_json(model, raw)


def validate_json(model: type[BaseModel], raw: bytes):
    if not raw.strip():
        raise ApiProblem(400, "The request body is empty; send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiProblem(400, "The body is not UTF-8 encoded JSON.") from None
    if "\x00" in text or "\\u0000" in text:
        raise ApiProblem(422, "Text in the body cannot contain NUL characters.")
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        if any(item["type"] == "json_invalid" for item in errors):
            raise ApiProblem(400, "The body is not well-formed JSON: " + errors[0]["msg"]) from None
        raise ApiProblem(422, "The body does not match the schema.", errors=_field_errors(error)) from None


# --- the OpenAPI document -------------------------------------------------------------------------

def _without_null(schema: dict) -> dict:
    """A query parameter is either absent or text: drop the `null` branch of an optional field."""
    options = schema.get("anyOf")
    if options:
        rest = [option for option in options if option.get("type") != "null"]
        if len(rest) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            merged.update(rest[0])
            if schema.get("default") is None:
                merged.pop("default", None)
            return merged
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(dict(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _components() -> tuple[dict, dict]:
    """JSON Schemas of every model (request ones as validated, response ones as serialised)."""
    pairs = [(schemas.Problem, "serialization")]
    for op in OPERATIONS:
        pairs.append((op.response, "serialization"))
        pairs.extend((model, "validation") for model in op.bodies.values())
    pairs = list(dict.fromkeys(pairs))
    refs, definitions = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    return refs, definitions.get("$defs", {})


def openapi_document(*, base_url: str, token_url: str, authorization_url: str, version: str) -> dict:
    refs, components = _components()
    problem = refs[(schemas.Problem, "serialization")]
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        responses = {str(op.status): {
            "description": op.response.__doc__.strip().splitlines()[0] if op.response.__doc__ else "OK",
            "content": {"application/json": {"schema": refs[(op.response, "serialization")]}}}}
        if op.method == "GET":
            responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
        for status in op.errors:
            responses[str(status)] = {"description": ERROR_TEXT[status],
                                      "content": {PROBLEM_JSON: {"schema": problem}}}
        entry = {
            "operationId": op.endpoint.split(".", 1)[1],
            "summary": op.summary,
            "tags": [op.tag],
            "security": [{"oauth2": [op.scope]}],
            "parameters": op.path_parameters() + (_query_parameters(op.query) if op.query else []),
            "responses": responses,
        }
        if op.bodies:
            entry["requestBody"] = {"required": True, "content": {
                media: {"schema": refs[(model, "validation")]} for media, model in op.bodies.items()}}
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "PartnerMesh API", "version": version,
                 "description": "Read the ecosystem and write into it on behalf of a member system or a person. "
                                "Bearer tokens come from the portal's OpenID Provider; errors are RFC 9457 "
                                "problem documents."},
        "servers": [{"url": base_url.rstrip("/") + PREFIX}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"oauth2": {"type": "oauth2", "flows": {
                "clientCredentials": {"tokenUrl": token_url, "scopes": SCOPES},
                "authorizationCode": {"authorizationUrl": authorization_url, "tokenUrl": token_url,
                                      "scopes": SCOPES}}}},
        },
    }
