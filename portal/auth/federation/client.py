"""The relying-party side of OpenID Connect, on Authlib (requests client) and joserfc.

What Authlib does: the authorization URL with state, nonce and PKCE S256 (OAuth2Session), the
code exchange with client authentication, JWS verification and the ID token claims checks
(CodeIDToken: nonce, azp, at_hash). What we add because Authlib leaves it to the caller:

- discovery is fetched with a timeout, its `issuer` must equal the configured issuer exactly
  (OpenID Connect Discovery §4.3) and its endpoints must be https (loopback only when allowed);
- the signing algorithms are pinned to what discovery announces *minus* `none` and the HMAC
  family (Authlib accepts `none` since 1.6 when the caller does not pin; HS256 would turn the
  client secret into a verification key);
- `iss` and `aud` are essential claims with fixed values (Authlib checks `aud` only when told);
- the RFC 9207 `iss` authorization-response parameter must name the provider the flow was
  started with, and is required when the provider announces it (mix-up defence);
- JWKS and discovery are cached per process, and a token with an unknown `kid` triggers one
  JWKS refresh (key rotation), at most once per `min_jwks_refresh` seconds per provider.

Nothing here imports Flask: the views pass the configuration in.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from portal.errors import DomainError

log = logging.getLogger(__name__)

# Asymmetric JWS algorithms only: the ID token must verify with the provider's published keys.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                         "EdDSA", "Ed25519")
DEFAULT_SCOPES = "openid email profile"
CLOCK_LEEWAY = 60  # seconds of clock skew accepted on exp / iat / nbf


class FederationError(DomainError):
    """The company sign-in failed; the message is safe to show, the reason is logged."""


@dataclass(frozen=True)
class RelyingParty:
    """What this portal is at one provider."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: str = DEFAULT_SCOPES


@dataclass
class _Cached:
    value: Any
    fetched_at: float


def check_endpoint_url(url: str, *, allow_http_loopback: bool, what: str = "The issuer") -> str:
    """https (or http on loopback when allowed), no user info, no fragment."""
    url = (url or "").strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise DomainError(f"{what} must not contain a user name or password ({url[:80]}).", field="issuer")
    if parts.fragment or not host:
        raise DomainError(f"{what} must be a full https:// address without a fragment ({url[:80]}).",
                          field="issuer")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and allow_http_loopback and _is_loopback(host):
        return url
    raise DomainError(f"{what} must use https:// ({url[:80]}).", field="issuer")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pinned_algorithms(metadata: dict) -> list[str]:
    """The ID token algorithms we accept from this provider: announced and asymmetric."""
    announced = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    return [alg for alg in announced if alg in ASYMMETRIC_ALGORITHMS]


def validate_discovery(issuer: str, document: Any, *, allow_http_loopback: bool) -> dict:
    """Check a discovery document for `issuer`; DomainError(field="issuer") says what is wrong."""
    if not isinstance(document, dict):
        raise DomainError("The discovery document is not a JSON object.", field="issuer")
    if document.get("issuer") != issuer:
        raise DomainError(f"The discovery document names the issuer {str(document.get('issuer'))[:120]!r}, "
                          f"not {issuer!r}. Enter the issuer exactly as the provider publishes it.",
                          field="issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise DomainError(f"The discovery document has no {key}.", field="issuer")
        check_endpoint_url(document[key], allow_http_loopback=allow_http_loopback, what=f"The {key}")
    if document.get("userinfo_endpoint"):
        check_endpoint_url(document["userinfo_endpoint"], allow_http_loopback=allow_http_loopback,
                           what="The userinfo_endpoint")
    if "code" not in (document.get("response_types_supported") or []):
        raise DomainError("The provider does not support the authorization code flow.", field="issuer")
    methods = document.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise DomainError("The provider does not support PKCE with S256.", field="issuer")
    if not pinned_algorithms(document):
        raise DomainError("The provider signs ID tokens only with algorithms we do not accept "
                          f"({', '.join(document.get('id_token_signing_alg_values_supported') or [])}); "
                          f"we accept {', '.join(ASYMMETRIC_ALGORITHMS)}.", field="issuer")
    return document


@dataclass
class ProviderDirectory:
    """Discovery documents and key sets, fetched with a timeout and cached for this process."""

    allow_http_loopback: bool = False
    timeout: float = 5.0
    metadata_ttl: float = 3600.0
    jwks_ttl: float = 3600.0
    min_jwks_refresh: float = 10.0
    _metadata: dict[str, _Cached] = field(default_factory=dict)
    _jwks: dict[str, _Cached] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _get_json(self, url: str, what: str) -> Any:
        try:
            response = requests.get(url, timeout=self.timeout, headers={"Accept": "application/json"},
                                    allow_redirects=False)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("federation: fetching %s from %s failed: %s", what, url, exc.__class__.__name__)
            raise DomainError(f"Could not read the provider's {what} at {url[:120]} "
                              f"({exc.__class__.__name__}).", field="issuer") from exc

    def discover(self, issuer: str, *, force: bool = False) -> dict:
        """The provider's checked discovery document (cached `metadata_ttl` seconds)."""
        check_endpoint_url(issuer, allow_http_loopback=self.allow_http_loopback)
        cached = self._metadata.get(issuer)
        if cached and not force and time.monotonic() - cached.fetched_at < self.metadata_ttl:
            return cached.value
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = validate_discovery(issuer, self._get_json(url, "discovery document"),
                                      allow_http_loopback=self.allow_http_loopback)
        with self._lock:
            self._metadata[issuer] = _Cached(document, time.monotonic())
        return document

    def key_set(self, jwks_uri: str, *, refresh: bool = False) -> KeySet:
        """The provider's JWKS; `refresh` refetches unless that happened under `min_jwks_refresh` ago."""
        cached = self._jwks.get(jwks_uri)
        now = time.monotonic()
        if cached and (now - cached.fetched_at < (self.min_jwks_refresh if refresh else self.jwks_ttl)):
            return cached.value
        document = self._get_json(jwks_uri, "signing keys (JWKS)")
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise FederationError("The identity provider publishes signing keys we cannot read.") from exc
        with self._lock:
            self._jwks[jwks_uri] = _Cached(keys, now)
        return keys

    def forget(self, issuer: str) -> None:
        """Drop what is cached for a provider (its configuration changed)."""
        with self._lock:
            cached = self._metadata.pop(issuer, None)
            if cached:
                self._jwks.pop(cached.value.get("jwks_uri"), None)


# --- The authorization request -----------------------------------------------------------------

def authorization_request(metadata: dict, rp: RelyingParty, *, login_hint: str | None = None) -> tuple[str, dict]:
    """The URL to send the browser to, and what the callback needs (state, nonce, PKCE verifier)."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    session = OAuth2Session(rp.client_id, rp.client_secret, scope=rp.scopes, redirect_uri=rp.redirect_uri,
                            code_challenge_method="S256")
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _ = session.create_authorization_url(metadata["authorization_endpoint"], state=state,
                                              code_verifier=verifier, nonce=nonce, **extra)
    return url, {"state": state, "nonce": nonce, "code_verifier": verifier}


# --- The callback ------------------------------------------------------------------------------

def check_response_issuer(params: dict, metadata: dict, issuer: str) -> None:
    """RFC 9207: the `iss` response parameter names the provider that answered; it must be the one
    this flow was started with. Required when the provider says it sends it."""
    if "iss" in params:
        if params["iss"] != issuer:
            log.warning("federation: authorization response from %r for a flow started with %r",
                        str(params["iss"])[:120], issuer)
            raise FederationError("The sign-in response came from a different identity provider than the "
                                  "one you started with. Please start again.")
    elif metadata.get("authorization_response_iss_parameter_supported"):
        raise FederationError("The identity provider's response is missing its issuer. Please start again.")


def _token_endpoint_auth_method(metadata: dict) -> str:
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return "client_secret_basic" if "client_secret_basic" in methods else (
        "client_secret_post" if "client_secret_post" in methods else "client_secret_basic")


def exchange_code(metadata: dict, rp: RelyingParty, code: str, code_verifier: str, *,
                  timeout: float = 5.0) -> dict:
    """The token response for an authorization code (with the PKCE verifier)."""
    session = OAuth2Session(rp.client_id, rp.client_secret, redirect_uri=rp.redirect_uri,
                            token_endpoint_auth_method=_token_endpoint_auth_method(metadata),
                            code_challenge_method="S256", default_timeout=timeout)
    try:
        return dict(session.fetch_token(metadata["token_endpoint"], grant_type="authorization_code", code=code,
                                        code_verifier=code_verifier, redirect_uri=rp.redirect_uri))
    except OAuthError as exc:
        log.warning("federation: token endpoint of %s refused the code: %s", rp.issuer, exc.error)
        raise FederationError("The identity provider did not accept the sign-in. Please start again.") from exc
    except (requests.RequestException, ValueError) as exc:
        log.warning("federation: token request to %s failed: %s", rp.issuer, exc.__class__.__name__)
        raise FederationError("The identity provider could not be reached. Please try again.") from exc


def validate_id_token(directory: ProviderDirectory, metadata: dict, rp: RelyingParty, id_token: str,
                      nonce: str, *, access_token: str | None = None, now: int | None = None) -> dict:
    """The ID token's claims, after every check OpenID Connect Core §3.1.3.7 asks of a client."""
    algorithms = pinned_algorithms(metadata)
    registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
    try:
        try:
            token = jwt.decode(id_token, directory.key_set(metadata["jwks_uri"]), registry=registry)
        except InvalidKeyIdError:  # the provider rotated its keys since we cached them
            token = jwt.decode(id_token, directory.key_set(metadata["jwks_uri"], refresh=True), registry=registry)
        options = {
            "iss": {"essential": True, "value": rp.issuer},
            "aud": {"essential": True, "value": rp.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True},
        }
        claims = CodeIDToken(token.claims, token.header, options,
                             {"nonce": nonce, "client_id": rp.client_id, "access_token": access_token})
        claims.validate(now=now, leeway=CLOCK_LEEWAY)
    except JoseError as exc:
        log.warning("federation: ID token from %s rejected: %s %s", rp.issuer, exc.error,
                    getattr(exc, "description", "") or "")
        raise FederationError("The identity provider's answer could not be verified. Please start again.") from exc
    # Authlib compares the nonce already; compare again in constant time so a change there cannot
    # silently turn it off (a nonce sent but never compared is a known failure of RPs).
    if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise FederationError("The identity provider's answer could not be verified. Please start again.")
    return dict(claims)


def fetch_userinfo(metadata: dict, access_token: str, subject: str, *, timeout: float = 5.0) -> dict:
    """Userinfo claims (empty when the provider has no endpoint); its `sub` must be the ID token's."""
    endpoint = metadata.get("userinfo_endpoint")
    if not endpoint:
        return {}
    try:
        response = requests.get(endpoint, headers={"Authorization": f"Bearer {access_token}",
                                                   "Accept": "application/json"},
                                timeout=timeout, allow_redirects=False)
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("federation: userinfo request failed: %s", exc.__class__.__name__)
        return {}  # the ID token's claims are enough to sign in
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise FederationError("The identity provider's user information does not match the sign-in.")
    return info


def complete_authorization(directory: ProviderDirectory, rp: RelyingParty, flow: dict, params: dict) -> dict:
    """Callback: check the response, exchange the code, verify the ID token; the merged claims."""
    metadata = directory.discover(rp.issuer)
    if params.get("error"):
        check_response_issuer(params, metadata, rp.issuer)
        if params["error"] == "access_denied":
            raise FederationError("The sign-in was cancelled at your company's identity provider.")
        raise FederationError(f"Your company's identity provider refused the sign-in ({str(params['error'])[:60]}).")
    if not params.get("state") or not hmac.compare_digest(str(params["state"]), flow.get("state", "")):
        raise FederationError("This sign-in was not started here or has expired. Please start again.")
    check_response_issuer(params, metadata, rp.issuer)
    if not params.get("code"):
        raise FederationError("The identity provider's response has no authorization code.")
    token = exchange_code(metadata, rp, params["code"], flow["code_verifier"], timeout=directory.timeout)
    if not token.get("id_token"):
        raise FederationError("The identity provider did not send an ID token.")
    claims = validate_id_token(directory, metadata, rp, token["id_token"], flow["nonce"],
                               access_token=token.get("access_token"))
    info = fetch_userinfo(metadata, token["access_token"], claims["sub"],
                          timeout=directory.timeout) if token.get("access_token") else {}
    # The ID token's claims win: they are signed; userinfo fills what the token left out.
    return {**info, **claims}
