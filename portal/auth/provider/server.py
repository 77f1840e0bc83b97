"""Authlib wiring: one AuthorizationServer per app with the portal's grants and endpoints.

The server lives in app.extensions (not a module global) so that two apps in one process
(tests with a live server, two federating portal instances) keep their own.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, current_app
from flask_login import logout_user

from portal.auth import session_auth
from portal.auth.provider import keys, tokens
from portal.auth.provider.clients import SUPPORTED_SCOPES, client_by_client_id
from portal.auth.provider.grants import (
    SECRET_AUTH_METHODS,
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    PortalOpenIDCode,
    RefreshTokenGrant,
    S256CodeChallenge,
)
from portal.auth.provider.models import IssuedToken
from portal.auth.provider.settings import current_settings, issuer
from portal.db import db, utcnow
from portal.partnerships.claims import entitlements_still_granted, record_audit
from portal.profiles.services import person_for_user

DEFAULTS = {
    "OIDC_ACCESS_TOKEN_SECONDS": 3600,
    "OIDC_ID_TOKEN_SECONDS": 3600,
    "OIDC_REFRESH_TOKEN_SECONDS": 30 * 86400,
    "OIDC_CODE_SECONDS": 60,
    "OIDC_KEY_CHECK_SECONDS": 5,
    "OAUTH2_SCOPES_SUPPORTED": list(SUPPORTED_SCOPES),
}


class PortalAuthorizationServer(AuthorizationServer):
    def query_client(self, client_id):
        return client_by_client_id(db.session, client_id)

    def save_token(self, token, request):
        """The token row was stored when it was issued (grants.IssuesPortalTokens); here the
        issuance goes into the partnerships audit log (no token values in it)."""
        row: IssuedToken = request.issued_token
        person = person_for_user(db.session, row.user_id) if row.user_id is not None else None
        record_audit(db.session, actor_person_id=person.id if person else None, action="token.issued",
                     subject=f"client:{row.client_id}",
                     details={"client_id": row.client_id, "grant_type": row.grant_type, "jti": row.jti,
                              "audience": row.audience, "scope": row.scope, "company_id": row.company_id,
                              "entitlements": list(row.entitlements or []), "user_id": row.user_id},
                     company_ids=[row.company_id] if row.company_id is not None else None)


class PortalIssuer(IssuerParameter):
    """RFC 9207: `iss` in every authorization response, so a client talking to several
    providers can tell which one answered (mix-up defence)."""

    def get_issuer(self) -> str:
        return issuer()


@dataclass
class FoundToken:
    """A stored token as introspection/revocation see it: the row and which half was presented."""

    row: IssuedToken
    is_refresh: bool

    def check_client(self, client) -> bool:
        return self.row.check_client(client)

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (self.is_refresh and self.row.refresh_used_at is not None)

    def is_expired(self) -> bool:
        if self.is_refresh:
            return self.row.refresh_expires_at is None or self.row.refresh_expires_at <= utcnow()
        return self.row.is_expired()

    def get_scope(self) -> str:
        return self.row.scope


def _find(token_string: str, hint: str | None) -> FoundToken | None:
    settings = current_settings()
    if hint != "refresh_token":  # noqa: S105 - a token type name
        claims = tokens.decode_access_token(db.session, settings, token_string)
        if claims is not None:
            row = tokens.by_jti(db.session, claims["jti"])
            return FoundToken(row, False) if row is not None else None
    row = tokens.by_refresh_token(db.session, token_string)
    return FoundToken(row, True) if row is not None else None


class PortalIntrospection(IntrospectionEndpoint):
    """RFC 7662 for the token's client and for the back-end system the token is for."""

    CLIENT_AUTH_METHODS = SECRET_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return _find(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        row = token.row
        return row.client_id == client.client_id or (row.audience is not None and row.audience == client.audience)

    def introspect_token(self, token):
        row = token.row
        # Entitlements withdrawn after issuance (partnership ended, grant removed): inactive.
        if row.entitlements and not entitlements_still_granted(
                db.session, row.company_id, row.audience or "", list(row.entitlements), row.issued_at):
            return {"active": False}
        expires = row.refresh_expires_at if token.is_refresh else row.expires_at
        payload = {
            "active": True, "client_id": row.client_id, "scope": row.scope,
            "token_type": "refresh_token" if token.is_refresh else "Bearer",
            "sub": str(row.user_id) if row.user_id is not None else row.client_id,
            "aud": row.audience or row.client_id, "iss": issuer(), "jti": row.jti,
            "iat": int(row.issued_at.timestamp()), "exp": int(expires.timestamp()) if expires else None,
        }
        if row.entitlements:
            payload["entitlements"] = list(row.entitlements)
        if row.company_id is not None:
            payload["org_id"] = str(row.company_id)
        return payload


class PortalRevocation(RevocationEndpoint):
    """RFC 7009. A refresh token takes its whole family (and their access tokens) with it."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return _find(token_string, token_type_hint)

    def revoke_token(self, token, request):
        tokens.revoke(db.session, token.row, whole_family=token.is_refresh)


class PortalEndSession(EndSessionEndpoint):
    """RP-initiated logout: the id_token_hint must verify against our keys with a pinned
    algorithm; post_logout_redirect_uri must be registered exactly (Authlib checks both)."""

    def get_server_jwks(self):
        return keys.jwks(db.session)

    def get_algorithms(self):
        return list(keys.ALGORITHMS)

    def resolve_client_from_id_token_claims(self, id_token_claims):
        # Our ID tokens carry aud as a one-element list; Authlib only resolves a plain string.
        aud = id_token_claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        return self.server.query_client(aud) if isinstance(aud, str) else None

    def end_session(self, end_session_request):
        logout_user()
        session_auth.forget_authentication()


def _from_environment(name: str, default):
    """Token lifetimes may be set in the environment (seconds, above 0); bad values stop start-up."""
    raw = os.environ.get(name)
    if raw is None or not isinstance(default, int) or not raw.strip():
        return default
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise SystemExit(f"{name}={raw!r}: expected a whole number of seconds above 0")
    return int(raw)


def init_app(app: Flask) -> None:
    """Create the app's authorization server and register grants and endpoints."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, _from_environment(name, value))
    # Authlib logs issued tokens at DEBUG ("Issue token %r"): keep its logs above that.
    logging.getLogger("authlib").setLevel(logging.INFO)
    server = PortalAuthorizationServer()
    server.init_app(app)
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True), PortalOpenIDCode()])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(PortalIntrospection)
    server.register_endpoint(PortalRevocation)
    server.register_endpoint(PortalEndSession)
    server.register_extension(PortalIssuer())
    app.extensions["portal_oauth_server"] = server


def authorization_server() -> PortalAuthorizationServer:
    return current_app.extensions["portal_oauth_server"]
