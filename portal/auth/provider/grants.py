"""Authlib grants with the storage and checks the portal adds.

Added on top of Authlib: PKCE with S256 only and required for public clients; `redirect_uri`
required on OpenID requests; the `resource`/`audience` parameter (RFC 8707) checked against
registered back-end systems; codes marked used atomically and a reused code revoking its
tokens; refresh tokens rotating with reuse detection; our own RFC 9068 access tokens.
"""

from __future__ import annotations

import time

from authlib.oauth2.rfc6749 import OAuth2Error, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from flask import current_app, g
from sqlalchemy import select

from portal.auth import session_auth
from portal.auth.models import User
from portal.auth.provider import claims, keys, tokens
from portal.auth.provider.models import AuthorizationCode
from portal.auth.provider.settings import current_settings, profile_links
from portal.db import db
from portal.partnerships.claims import audience_exists

ALL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
SECRET_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
# Claims an access token carries when its scopes release them (back-ends decide on these).
ACCESS_TOKEN_SCOPES = {"org", "entitlements", "ecosystem_roles"}


class InvalidTargetError(OAuth2Error):
    """RFC 8707 section 2: the requested resource (audience) is unknown or not allowed."""

    error = "invalid_target"


def requested_audience(request, client) -> str | None:
    """The audience a token is for: the `resource` (RFC 8707) or `audience` parameter, else the
    client's registered audience. Only a registered back-end system's audience is accepted."""
    value = (request.payload.data.get("resource") or request.payload.data.get("audience") or "").strip()
    if not value:
        return client.audience
    if value != client.audience and not _portal_resource(value) and not audience_exists(db.session, value):
        raise InvalidTargetError(f"Unknown resource {value!r}.")
    return value


def _portal_resource(value: str) -> bool:
    """The portal's own APIs are resources too: their address on the issuer's base URL, for the
    paths they register in OIDC_PORTAL_RESOURCE_PATHS (the integration API adds /api/v1)."""
    base = current_settings().issuer
    return any(value == base + path for path in current_app.config.get("OIDC_PORTAL_RESOURCE_PATHS", ()))


def active_user(user_id: int | None) -> User | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None


class IssuesPortalTokens:
    """Mixin: grants issue the portal's JWT access tokens (and store them) instead of Authlib's
    bearer strings. `token_grant` says what the token is about."""

    def token_grant(self, user, scope: str, include_refresh_token: bool) -> tokens.TokenGrant:
        raise NotImplementedError

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True):
        grant = self.token_grant(user, scope or "", include_refresh_token)
        body, row = tokens.issue(db.session, current_settings(), grant)
        self.request.issued_token = row
        return body


def _user_access_claims(user, scope: str, audience: str | None) -> dict:
    wanted = set(scope.split()) & ACCESS_TOKEN_SCOPES
    if not wanted:
        return {}
    released = claims.user_claims(db.session, user, wanted, audience=audience)
    released.pop("sub", None)
    return released


class AuthorizationCodeGrant(IssuesPortalTokens, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    @staticmethod
    def validate_authorization_redirect_uri(request, client):
        # OpenID Connect Core 3.1.2.1: redirect_uri is REQUIRED on OpenID requests.
        scope = (request.payload.scope or "").split()
        if "openid" in scope and not request.payload.redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.", state=request.payload.state)
        return grants.AuthorizationCodeGrant.validate_authorization_redirect_uri(request, client)

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        try:
            self.request.audience = requested_audience(self.request, self.request.client)
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def save_authorization_code(self, code, request):
        data = request.payload.data
        user = request.user
        auth_time = session_auth.auth_time()
        if auth_time is None and user.last_login_at is not None:
            auth_time = int(user.last_login_at.timestamp())  # a remembered session: its last real login
        tokens.save_code(
            db.session, current_settings(), code, client_id=request.client.client_id, user_id=user.id,
            redirect_uri=request.payload.redirect_uri or "", scope=request.scope or "",
            nonce=data.get("nonce"), auth_time=auth_time, amr=session_auth.auth_methods(),
            audience=getattr(request, "audience", None), code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"))

    def query_authorization_code(self, code, client):
        return tokens.redeem_code(db.session, code, client)

    def delete_authorization_code(self, authorization_code):
        """Nothing: the code was marked used when redeemed, and is kept so a reuse is detected."""

    def authenticate_user(self, authorization_code):
        return active_user(authorization_code.user_id)

    def token_grant(self, user, scope, include_refresh_token):
        code = self.request.authorization_code
        return tokens.TokenGrant(
            client=self.request.client, grant_type=self.GRANT_TYPE, scope=scope, user_id=user.id,
            company_id=claims.company_of_user(db.session, user), audience=code.audience,
            extra_claims=_user_access_claims(user, scope, code.audience), code_id=code.id,
            auth_time=code.auth_time, include_refresh_token=include_refresh_token)


class RefreshTokenGrant(IssuesPortalTokens, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every use gives a new refresh token

    def authenticate_refresh_token(self, refresh_token):
        return tokens.use_refresh_token(db.session, refresh_token, self.request.client)

    def authenticate_user(self, refresh_token):
        return active_user(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token):
        """Nothing more: the old refresh token was marked used when presented (rotation)."""

    def create_token_response(self):
        # Authlib's OpenID extensions hook only into the code grant: OpenID Connect Core 12.2
        # (an ID token on refresh when the original grant had `openid`) is ours to add.
        status, token, headers = super().create_token_response()
        if "openid" in (token.get("scope") or "").split():
            token["id_token"] = RefreshedIDToken(self.request.refresh_token).encode_id_token(token, self.request)
        return status, token, headers

    def token_grant(self, user, scope, include_refresh_token):
        old = self.request.refresh_token
        return tokens.TokenGrant(
            client=self.request.client, grant_type=self.GRANT_TYPE, scope=scope, user_id=user.id,
            company_id=claims.company_of_user(db.session, user), audience=old.audience,
            extra_claims=_user_access_claims(user, scope, old.audience), code_id=old.code_id,
            family_id=old.family_id, auth_time=old.auth_time, include_refresh_token=True)


class ClientCredentialsGrant(IssuesPortalTokens, grants.ClientCredentialsGrant):
    """Member back-end systems acting for their company: the token's `org` is the client's owner
    company and its `entitlements` what that company holds for the requested audience."""

    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_AUTH_METHODS

    def validate_token_request(self):
        super().validate_token_request()
        self.request.audience = requested_audience(self.request, self.request.client)

    def token_grant(self, user, scope, include_refresh_token):
        client = self.request.client
        allowed = client.get_allowed_scope(scope).split()
        scope = " ".join(s for s in allowed if s != "openid")  # no end-user, so no OpenID scope
        audience = self.request.audience
        return tokens.TokenGrant(
            client=client, grant_type=self.GRANT_TYPE, scope=scope, company_id=client.owner_company_id,
            audience=audience, extra_claims=claims.company_claims(db.session, client.owner_company_id, audience),
            include_refresh_token=False)


class S256CodeChallenge(CodeChallenge):
    """PKCE (RFC 7636) with S256 only ("plain" protects nothing against a leaked request);
    required for public clients, verified whenever a confidential client used it."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must send a PKCE code_challenge (S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': use S256.")
        super().validate_code_challenge(grant, redirect_uri)


class PortalOpenIDCode(OpenIDCode):
    """ID tokens: signed with the client's registered algorithm (RS256 by default, ES256 on
    request) by the active key, whose kid is in the header; claims released by scope."""

    def exists_nonce(self, nonce, request):
        # A nonce already bound to one of this client's codes is a replayed request.
        return db.session.scalar(select(AuthorizationCode.id).where(
            AuthorizationCode.client_id == request.payload.client_id, AuthorizationCode.nonce == nonce)
            .limit(1)) is not None

    def get_client_algorithm(self, client):
        alg = client.id_token_signed_response_alg or "RS256"
        return alg if alg in keys.ALGORITHMS else "RS256"

    def _active(self, client) -> keys.ActiveKey:
        settings = current_settings()
        return keys.signing_key(db.session, settings.secret_key, self.get_client_algorithm(client),
                                check_seconds=settings.key_check_seconds)

    def resolve_client_private_key(self, client):
        return self._active(client).private

    def get_encode_header(self, client):
        return {"alg": self.get_client_algorithm(client), "kid": self._active(client).kid}

    def get_client_claims(self, client):
        settings = current_settings()
        now = int(time.time())
        return {"iss": settings.issuer, "aud": [client.client_id], "iat": now, "exp": now + settings.id_token_seconds,
                "azp": client.client_id}

    def encode_id_token(self, token, request):
        # The extension object is shared by every request: the audience goes through flask.g.
        code = request.authorization_code
        g.oidc_token_audience = code.audience if code is not None else None
        return super().encode_id_token(token, request)

    def generate_user_info(self, user, scope):
        return claims.user_claims(db.session, user, scope.split(), audience=g.get("oidc_token_audience"),
                                  links=profile_links())


class RefreshedIDToken(PortalOpenIDCode):
    """The ID token of a refresh response (OpenID Connect Core 12.2): the same iss, sub, aud and
    azp as the original, a new iat and exp, the `auth_time` of the original authentication (not
    now), and no nonce (there is no authorization request to echo)."""

    def __init__(self, refreshed):
        super().__init__()
        self.refreshed = refreshed  # the IssuedToken row whose refresh token was presented

    def get_compatible_claims(self, request):
        claims = super().get_compatible_claims(request)
        claims.pop("auth_time", None)  # Authlib fills in "now"
        if self.refreshed.auth_time is not None:
            claims["auth_time"] = self.refreshed.auth_time
        return claims

    def encode_id_token(self, token, request):
        g.oidc_token_audience = self.refreshed.audience
        return OpenIDCode.encode_id_token(self, token, request)
