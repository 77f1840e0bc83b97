"""A small but real OpenID Provider on loopback for the relying-party tests (no tests here).

It serves a discovery document, a JWKS, a token endpoint and userinfo over HTTP from a thread.
ID tokens are signed with RSA keys generated per test; the test decides what the token endpoint
answers (`idp.claims_for_token`), so each check of the callback can be hit on purpose.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from portal.auth.federation.client import ProviderDirectory, RelyingParty

CLIENT_ID, CLIENT_SECRET = "partnermesh-rp", "rp-secret-0123456789"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeIdP:
    """An identity provider on 127.0.0.1 with its own signing key (kid "k1")."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.published = [self.key]
        self.jwks_fetches = 0
        self.token_requests: list[dict] = []
        self.userinfo: dict | None = None
        self.claims_for_token = None  # callable(nonce) -> claims, or a signed string via token_override
        self.token_override: str | None = None
        self.extra_metadata: dict = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # --- what it publishes ---

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            **self.extra_metadata,
        }

    def jwks(self) -> dict:
        return {"keys": [key.as_dict(private=False) for key in self.published]}

    # --- tokens ---

    def claims(self, nonce: str | None, **overrides) -> dict:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "idp-user-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": nonce, "email": "nina@acme.example", "email_verified": True, "name": "Nina Novak"}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict, key=None, alg: str = "RS256", kid: str | None = "k1") -> str:
        header = {"alg": alg, **({"kid": kid} if kid else {})}
        return jwt.encode(header, claims, key or self.key, algorithms=[alg])

    @staticmethod
    def unsigned(claims: dict) -> str:
        """An `alg: none` token (RFC 7519 §6), which no library should accept unless told to."""
        return f"{b64url(json.dumps({'alg': 'none'}).encode())}.{b64url(json.dumps(claims).encode())}."

    def hs256_with_client_secret(self, claims: dict) -> str:
        """Signed with the client secret as HMAC key: what an RP that does not pin algorithms accepts."""
        return jwt.encode({"alg": "HS256", "kid": "k1"}, claims, OctKey.import_key(CLIENT_SECRET),
                          algorithms=["HS256"])

    def rotate(self, kid: str = "k2") -> RSAKey:
        """A new signing key, published next to the old one."""
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
        self.published.append(self.key)
        return self.key

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- HTTP ---

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    return self._json(200, idp.metadata())
                if path == "/jwks":
                    idp.jwks_fetches += 1
                    return self._json(200, idp.jwks())
                if path == "/userinfo":
                    if idp.userinfo is None:
                        return self._json(401, {"error": "invalid_token"})
                    return self._json(200, idp.userinfo)
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                if urlsplit(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                form["authorization"] = self.headers.get("Authorization", "")
                idp.token_requests.append(form)
                if form.get("code") != "good-code":
                    return self._json(400, {"error": "invalid_grant"})
                if idp.token_override is not None:
                    id_token = idp.token_override
                else:
                    nonce = idp.pending_nonce
                    claims = idp.claims_for_token(nonce) if idp.claims_for_token else idp.claims(nonce)
                    id_token = idp.sign(claims)
                return self._json(200, {"access_token": "at-123", "token_type": "Bearer", "expires_in": 300,
                                        "id_token": id_token})

        return Handler

    pending_nonce: str | None = None


def pkce_matches(verifier: str, challenge: str) -> bool:
    return b64url(hashlib.sha256(verifier.encode()).digest()) == challenge


@pytest.fixture(name="idp")
def idp_fixture():
    provider = FakeIdP()
    yield provider
    provider.stop()


@pytest.fixture(name="directory")
def directory_fixture():
    return ProviderDirectory(allow_http_loopback=True, timeout=3, min_jwks_refresh=0)


def relying_party(idp: FakeIdP, redirect_uri: str = "http://127.0.0.1:5000/login/company/callback/1") -> RelyingParty:
    return RelyingParty(issuer=idp.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        redirect_uri=redirect_uri)
