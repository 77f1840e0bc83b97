"""The portal as OpenID Provider: clients, keys, the OAuth 2 / OpenID Connect endpoints, claims.

Authlib does the protocol (request parsing, client authentication, PKCE, token responses);
this package supplies what it leaves to the application: storage, signing keys, claims,
consent, `max_age`/`prompt` handling and the security checks Authlib does not make
(code reuse revoking tokens, refresh token reuse detection, exact redirect URI matching).
"""
