"""Bearer tokens from the portal (RFC 6750) checked offline: JWT access tokens (RFC 9068).

Authlib's ResourceProtector reads the Authorization header and turns errors into responses;
the checks are ours, because this back-end must be strict where Authlib's RFC 9068 validator
is lenient (it leaves the algorithm list open, answers a missing entitlement with 401, and has
no key cache):

- the signature, with the algorithms pinned to what the portal signs with (RS256, ES256 —
  never `none`, never an HMAC that would take the public key as its secret);
- `typ` at+jwt (an ID token is not an access token), `iss` equal to the portal's issuer, `aud`
  this back-end's own audience, `exp` and `nbf` with a small leeway for clock skew, `iat`, `sub`,
  `client_id` and `jti` present;
- the endpoint's entitlement in the `entitlements` claim, else 403.

Errors follow RFC 6750 section 3: no token → 401 with a bare `WWW-Authenticate: Bearer realm=…`;
a bad token → 401 `error="invalid_token"`; a missing entitlement → 403
`error="insufficient_scope"`.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
from authlib.integrations.flask_oauth2.errors import raise_http_exception
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc6750.errors import InsufficientScopeError
from flask import json
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError

from .trust import PortalTrust, PortalUnavailable

__all__ = ["PortalResourceProtector", "PortalTokenValidator", "current_token"]

PINNED_ALGORITHMS = ["RS256", "ES256"]
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


class MissingEntitlementError(InsufficientScopeError):
    """The token is valid but its company was not granted what this endpoint needs."""

    def __init__(self, needed: list[str], realm: str) -> None:
        super().__init__(f"This endpoint needs the entitlement {' or '.join(needed)}.")
        self.realm = realm

    def get_headers(self):
        headers = super().get_headers()
        headers.append(("WWW-Authenticate", f'Bearer realm="{self.realm}", error="{self.error}", '
                                            f'error_description="{self.get_error_description()}"'))
        return headers


class KeysUnavailableError(OAuth2Error):
    """The portal's keys could not be fetched: the token can be neither accepted nor refused."""

    error = "temporarily_unavailable"
    description = "The token cannot be checked now: the portal's keys are unavailable."
    status_code = 503


class AccessToken(dict):
    """The verified claims of one access token."""

    @property
    def entitlements(self) -> list[str]:
        value = self.get("entitlements") or []
        return [e for e in value if isinstance(e, str)] if isinstance(value, list) else []


class PortalTokenValidator(BearerTokenValidator):
    """Validates the portal's JWT access tokens for one audience."""

    def __init__(self, trust: PortalTrust, audience: str, *, leeway: int = 30, realm: str = "partner-backend"):
        super().__init__(realm=realm)
        self.trust, self.audience, self.leeway = trust, audience, leeway

    def _invalid(self, description: str) -> InvalidTokenError:
        return InvalidTokenError(description, realm=self.realm)

    def _decode(self, token_string: str) -> jwt.Token:
        try:
            return jwt.decode(token_string, self.trust.keys(), algorithms=PINNED_ALGORITHMS)
        except InvalidKeyIdError:
            # Perhaps the portal rotated its keys since we fetched them: look again (rate limited).
            refreshed = self.trust.refresh_for_unknown_kid()
            if refreshed is None:
                raise
            return jwt.decode(token_string, refreshed, algorithms=PINNED_ALGORITHMS)

    def authenticate_token(self, token_string: str) -> AccessToken:
        try:
            token = self._decode(token_string)
        except PortalUnavailable as error:
            raise KeysUnavailableError() from error
        except InvalidKeyIdError as error:
            raise self._invalid("The token is signed by a key the portal does not publish.") from error
        except (JoseError, ValueError, TypeError) as error:
            raise self._invalid("The token is malformed or its signature does not verify.") from error
        if str(token.header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            raise self._invalid("This is not an access token (typ must be at+jwt).")
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": self.trust.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
            client_id={"essential": True}, jti={"essential": True})
        try:
            registry.validate(token.claims)
        except JoseError as error:
            raise self._invalid(f"The token was rejected: {error.description or error.error}.") from error
        return AccessToken(token.claims)

    def validate_token(self, token: AccessToken, scopes, request, entitlements=None, **_ignored) -> None:
        """`entitlements`: any one of them lets the request through (None: any valid token)."""
        if entitlements and not set(entitlements) & set(token.entitlements):
            raise MissingEntitlementError(list(entitlements), self.realm)


class PortalResourceProtector(ResourceProtector):
    """Authlib's protector with RFC 6750's answer to a request without a bearer token: 401 and
    a `WWW-Authenticate: Bearer realm=…` challenge without an error code (section 3.1)."""

    def raise_error_response(self, error):
        if isinstance(error, (MissingAuthorizationError, UnsupportedTokenTypeError)):
            body = json.dumps({"error": "unauthorized", "error_description": "Send a bearer token from the portal."})
            raise_http_exception(401, body, [("Content-Type", "application/json"),
                                             ("WWW-Authenticate", f'Bearer realm="{self._default_realm}"')])
        super().raise_error_response(error)
