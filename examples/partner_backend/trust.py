"""Trusting the portal: its discovery document and its signing keys (JWKS), fetched and cached.

The back-end knows one thing in advance, the portal's issuer URL. Everything else comes from
`<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 section 4), whose
`issuer` must equal the configured one exactly (section 4.3), and from its `jwks_uri`.

Keys are cached in memory. A token signed with a `kid` the cache does not know usually means
the portal rotated its keys (`portal keys rotate`): the JWKS is fetched again — but such refetches
happen at most once per `min_refetch_seconds`, so a stream of tokens with made-up kids cannot
turn this back-end into a flood of requests against the portal. The price: right after such a
refetch, a token signed by a key the portal has only just rotated to waits up to that long.
"""

from __future__ import annotations

import threading
import time

import requests
from joserfc.jwk import KeySet


class PortalUnavailable(Exception):
    """The portal's discovery document or JWKS could not be fetched or is not usable."""


class PortalTrust:
    """Discovery and JWKS of one issuer, cached; thread-safe."""

    def __init__(self, issuer: str, *, min_refetch_seconds: float = 30.0, max_age_seconds: float = 3600.0,
                 timeout: float = 5.0, http: requests.Session | None = None) -> None:
        self.issuer = issuer
        self.min_refetch_seconds = min_refetch_seconds
        self.max_age_seconds = max_age_seconds
        self.timeout = timeout
        self.jwks_fetches = 0  # how often the JWKS was downloaded (for operators and tests)
        self._http = http or requests.Session()
        self._lock = threading.Lock()
        self._jwks_uri: str | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._refetched_at = float("-inf")  # the last fetch an unknown kid caused

    def _get_json(self, url: str) -> dict:
        try:
            response = self._http.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as error:
            raise PortalUnavailable(f"{url}: {error}") from error
        if not isinstance(body, dict):
            raise PortalUnavailable(f"{url}: expected a JSON object")
        return body

    def _discover(self) -> str:
        if self._jwks_uri is None:
            metadata = self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if metadata.get("issuer") != self.issuer:
                raise PortalUnavailable(f"discovery names the issuer {metadata.get('issuer')!r}, "
                                        f"not {self.issuer!r}")
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise PortalUnavailable("discovery has no usable jwks_uri")
            self._jwks_uri = jwks_uri
        return self._jwks_uri

    def _fetch(self) -> KeySet:
        body = self._get_json(self._discover())
        try:
            keys = KeySet.import_key_set(body)
        except Exception as error:  # joserfc raises several types for malformed keys
            raise PortalUnavailable(f"the JWKS could not be read: {error}") from error
        self.jwks_fetches += 1
        self._keys, self._fetched_at = keys, time.monotonic()
        return keys

    def keys(self) -> KeySet:
        """The cached key set; fetched on first use and again once it is `max_age_seconds` old.
        When that refresh fails the cached keys go on serving (the portal being down for a while
        must not turn every request away) and the next try comes `min_refetch_seconds` later."""
        with self._lock:
            if self._keys is None:
                return self._fetch()
            if time.monotonic() - self._fetched_at > self.max_age_seconds:
                try:
                    return self._fetch()
                except PortalUnavailable:
                    self._fetched_at = time.monotonic() - self.max_age_seconds + self.min_refetch_seconds
            return self._keys

    def refresh_for_unknown_kid(self) -> KeySet | None:
        """Fetch the JWKS again because a token named a kid we do not know; None when the last
        fetch was less than `min_refetch_seconds` ago (the caller then rejects the token)."""
        with self._lock:
            now = time.monotonic()
            if self._keys is not None and now - self._refetched_at < self.min_refetch_seconds:
                return None
            self._refetched_at = now
            return self._fetch()
