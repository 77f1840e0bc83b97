"""The discovery document (OpenID Connect Discovery 1.0, RFC 8414)."""

from __future__ import annotations

from portal.auth.provider.claims import CLAIMS_SUPPORTED
from portal.auth.provider.clients import SUPPORTED_SCOPES
from portal.auth.provider.keys import ALGORITHMS
from portal.auth.provider.settings import absolute, issuer


def discovery_document() -> dict:
    auth_methods = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer(),
        "authorization_endpoint": absolute("provider.authorize"),
        "token_endpoint": absolute("provider.token"),
        "userinfo_endpoint": absolute("provider.userinfo"),
        "jwks_uri": absolute("provider.jwks"),
        "end_session_endpoint": absolute("provider.logout"),
        "introspection_endpoint": absolute("provider.introspect"),
        "revocation_endpoint": absolute("provider.revoke"),
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": True,
        "claim_types_supported": ["normal"],
        "ui_locales_supported": ["en"],
    }
