"""The provider's settings, read from the app config (defaults set in server.init_app)."""

from __future__ import annotations

from flask import current_app, url_for

from portal.auth.provider.claims import ProfileLinks
from portal.auth.provider.tokens import TokenSettings


def issuer() -> str:
    """The issuer identifier: the portal's public base URL (PORTAL_BASE_URL), never the Host header."""
    return current_app.config["SERVER_NAME_FOR_MAIL"].rstrip("/")


def current_settings() -> TokenSettings:
    config = current_app.config
    return TokenSettings(
        issuer=issuer(), secret_key=config["SECRET_KEY"],
        access_token_seconds=int(config["OIDC_ACCESS_TOKEN_SECONDS"]),
        id_token_seconds=int(config["OIDC_ID_TOKEN_SECONDS"]),
        refresh_token_seconds=int(config["OIDC_REFRESH_TOKEN_SECONDS"]),
        code_seconds=int(config["OIDC_CODE_SECONDS"]),
        key_check_seconds=float(config["OIDC_KEY_CHECK_SECONDS"]),
    )


def absolute(endpoint: str, **values) -> str:
    """An absolute URL on the issuer's base (discovery and claims must not follow the Host header)."""
    return issuer() + url_for(endpoint, **values)


def profile_links() -> ProfileLinks:
    return ProfileLinks(profile=lambda slug: absolute("profiles.show", slug=slug),
                        picture=lambda token: absolute("profiles.avatar_image", token=token))
