"""Bearer tokens (RFC 6750) from the portal's own OpenID Provider, and scopes per operation.

A token is accepted when the provider signed it (pinned algorithms, our issuer, typ at+jwt), it
has not expired or been revoked, its client is still enabled, it was issued for this API (its
`aud` is the API's address: RFC 9068 section 4 asks resource servers to refuse tokens meant for
someone else) and, for a person's token, the account is still active. A scope in the token counts
only while its client may still ask for it. Session cookies are ignored: a browser that is logged
in to the portal is not thereby allowed to call the API (no CSRF).

Who the caller is:
- a member system (client credentials): its client's company; it sees what any member of the
  ecosystem sees (members-level profile fields, public and members-only forums, no private group);
- a person (authorization code): exactly what that person sees on the web.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from portal.api.problems import ApiProblem
from portal.db import db

REALM = "PartnerMesh API"


@dataclass(frozen=True)
class ApiCaller:
    client_id: str             # the OAuth client_id
    client_pk: int             # its row id (what activities record as actor_client_id)
    scopes: frozenset[str]
    company_id: int | None     # the company the token speaks for
    user: object | None        # portal.auth.models.User for a person's token
    person: object | None      # portal.profiles.models.Person for a person's token
    viewer: object             # portal.profiles.visibility.Viewer
    jti: str

    @property
    def is_person(self) -> bool:
        return self.user is not None


def api_audience() -> str:
    """The `aud` (RFC 8707 resource) of tokens for this API: its absolute address."""
    from portal.auth.provider.settings import issuer

    return issuer() + "/api/v1"


def _challenge(error: str | None = None, description: str | None = None, scope: str | None = None) -> str:
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(parts)


def _unauthorized(detail: str, error: str | None = "invalid_token") -> ApiProblem:
    return ApiProblem(401, detail, headers={"WWW-Authenticate": _challenge(error, detail if error else None)})


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not value.strip() or " " in value.strip():
        raise _unauthorized("Send the access token as 'Authorization: Bearer <token>'.", "invalid_request")
    return value.strip()


def _audiences(claims: dict) -> list[str]:
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]


def _resolve(token: str) -> ApiCaller:
    from portal.auth.provider import tokens
    from portal.auth.provider.clients import client_by_client_id
    from portal.auth.provider.grants import active_user
    from portal.auth.provider.settings import current_settings
    from portal.profiles.services import person_for_user
    from portal.profiles.visibility import Viewer, viewer_for

    if len(token) > 8192:
        raise _unauthorized("The access token is not valid.")
    found = tokens.live_access_token(db.session, current_settings(), token)
    if found is None:
        raise _unauthorized("The access token is not valid, has expired or was revoked.")
    claims, row = found
    if api_audience() not in _audiences(claims):
        raise _unauthorized(f"The access token is for another audience; ask for one with resource={api_audience()}.")
    client = client_by_client_id(db.session, row.client_id)
    if client is None:
        raise _unauthorized("The client this token was issued to is disabled.")
    # What the client may still ask for bounds what its tokens carry: when an admin takes a scope
    # away from a client (a back-end system's page), tokens issued before stop carrying it at once.
    scopes = frozenset((row.scope or "").split()) & frozenset(client.scopes or ())
    if row.user_id is not None:
        user = active_user(row.user_id)
        if user is None:
            raise _unauthorized("The account this token speaks for is suspended or closed.")
        person = person_for_user(db.session, user.id)
        company_id = (person.company_id if person is not None and person.membership_status == "active"
                      else None)
        return ApiCaller(client.client_id, client.id, scopes, company_id, user, person,
                         viewer_for(db.session, user, person), row.jti)
    return ApiCaller(client.client_id, client.id, scopes, row.company_id, None, None,
                     Viewer(person_id=None, is_member=True), row.jti)


def authenticate() -> ApiCaller:
    """The caller of this request (looked up once); a 401 problem without a usable token."""
    if "api_caller" in g:
        caller = g.api_caller
        if isinstance(caller, ApiProblem):
            raise caller
        return caller
    try:
        token = bearer_token()
        if token is None:
            raise _unauthorized("This API needs an access token: 'Authorization: Bearer <token>'.", error=None)
        caller = _resolve(token)
    except ApiProblem as problem:
        g.api_caller = problem
        raise
    g.api_caller = caller
    return caller


def require(scope: str) -> ApiCaller:
    """The caller, if their token carries `scope`; 403 insufficient_scope otherwise (RFC 6750 3.1)."""
    caller = authenticate()
    if scope not in caller.scopes:
        held = " ".join(sorted(caller.scopes)) or "none"
        detail = f"This operation needs the scope {scope!r}; the token has: {held}."
        raise ApiProblem(403, detail, headers={"WWW-Authenticate": _challenge(
            "insufficient_scope", f"needs {scope}", scope)})
    return caller


def rate_limit_key() -> str:
    """Flask-Limiter key: the client the token belongs to, so one member system's traffic does
    not eat another's allowance; requests without a valid token count against their address."""
    try:
        return "api-client:" + authenticate().client_id
    except ApiProblem:
        return "api-ip:" + (get_remote_address() or "unknown")


def read_limit() -> str:
    return current_app.config["API_RATELIMIT"]


def write_limit() -> str:
    return current_app.config["API_WRITE_RATELIMIT"]
