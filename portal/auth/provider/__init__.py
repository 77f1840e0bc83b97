"""The portal as OpenID Provider: clients, keys, the OAuth 2 / OpenID Connect endpoints, claims.

Authlib does the protocol (request parsing, client authentication, PKCE, token responses);
this package supplies what it leaves to the application: storage, signing keys, claims,
consent, `max_age`/`prompt` handling and the security checks Authlib does not make
(code reuse revoking tokens, refresh token reuse detection, exact redirect URI matching).
"""


def init_app(app) -> None:
    """Set up the app's authorization server and let machines reach the protocol endpoints
    when the portal is members-only."""
    from portal import web
    from portal.auth.provider import server
    from portal.auth.provider.views import PUBLIC_ENDPOINTS

    server.init_app(app)
    web.OPEN_ENDPOINTS.update(PUBLIC_ENDPOINTS)
