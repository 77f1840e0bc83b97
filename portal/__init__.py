"""PartnerMesh: a portal that turns a partner ecosystem's hub into a mesh."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from portal import config as config_module
from portal.config import PROJECT_ROOT


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → db → extensions → blueprints → CLI."""
    settings = config_module.from_environment()
    if config:
        settings.update(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    _init_database(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _init_database(app: Flask) -> None:
    from portal import models  # noqa: F401  - every table registered on the metadata
    from portal.db import db

    db.init_app(app)


def _init_extensions(app: Flask) -> None:
    from portal import web
    from portal.extensions import CONTENT_SECURITY_POLICY, csrf, limiter, login_manager, talisman

    csrf.init_app(app)
    app.config["PORTAL_RATELIMIT_ON"] = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_ENABLED"] = True  # the shared Limiter stays on; each app's switch is a request filter
    limiter.init_app(app)
    login_manager.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    web.init_app(app)
    # First among the after-commit handlers: open pages hear of a change before the search index, the clouds
    # and the feeds (each tens of milliseconds) are brought up to date; pages fetch only what has committed.
    from portal import realtime; realtime.init_app(app)  # noqa: E702, I001 - live events for open pages (SSE)
    from portal import mail; mail.init_app(app)  # noqa: E702, I001 - deliver the outbox after commit
    from portal import clouds; clouds.init_app(app)  # noqa: E702, I001 - keep tag clouds current after commit
    from portal import search; search.init_app(app)  # noqa: E702, I001 - keep the search index current after commit
    from portal import matching; matching.init_app(app)  # noqa: E702, I001 - keep the matching graph current after commit
    from portal import event_relay; event_relay.init_app(app)  # noqa: E702, I001 - other processes' commits via Redis
    from portal.auth import provider; provider.init_app(app)  # noqa: E702, I001 - the OpenID Provider's server
    from portal import webhooks; webhooks.init_app(app)  # noqa: E702, I001 - webhook deliveries recorded before commit, sent after
    from portal import api; api.init_app(app)  # noqa: E702, I001 - /api/v1: scopes, resource audience, 404/405 problems
    from portal import messages; messages.init_app(app)  # noqa: E702, I001 - "Message" buttons on profiles
    from portal import feeds; feeds.init_app(app)  # noqa: E702, I001 - forum/introduction/partnership events become activities
    from portal import documents; documents.init_app(app)  # noqa: E702, I001 - upload settings checked at start-up
    from portal import notifications; notifications.init_app(app)  # noqa: E702, I001 - the nav's unread count


def _register_blueprints(app: Flask) -> None:
    from portal.admin.views import bp as admin_bp
    from portal.api.blueprint import bp as api_bp
    from portal.auth.federation.views import bp as federation_bp
    from portal.auth.provider.views import bp as provider_bp
    from portal.auth.views import bp as auth_bp
    from portal.broker.views import bp as broker_bp
    from portal.clouds.views import bp as clouds_bp
    from portal.companies.views import bp as companies_bp
    from portal.directory.views import bp as directory_bp
    from portal.documents.views import bp as documents_bp
    from portal.feeds.views import bp as feeds_bp
    from portal.forums import group_views, moderation_views, views  # noqa: F401 - routes on the forums blueprint
    from portal.forums.blueprint import bp as forums_bp
    from portal.health.views import bp as health_bp
    from portal.home.views import bp as home_bp
    from portal.introductions.views import bp as introductions_bp
    from portal.mail.views import bp as mail_bp
    from portal.messages import moderation_views as message_moderation_views  # noqa: F401 - routes on the messages blueprint
    from portal.messages.views import bp as messages_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.partnerships import system_views  # noqa: F401 - routes on the partnerships blueprint
    from portal.partnerships.views import bp as partnerships_bp
    from portal.profiles.views import bp as profiles_bp
    from portal.realtime.views import bp as live_bp
    from portal.search.views import bp as search_bp
    from portal.tags.views import bp as tags_bp
    from portal.webhooks.views import bp as webhooks_bp

    for blueprint in (home_bp, auth_bp, profiles_bp, companies_bp, directory_bp, tags_bp, mail_bp, admin_bp,
                      forums_bp, clouds_bp, search_bp, introductions_bp, broker_bp, health_bp, partnerships_bp,
                      provider_bp, federation_bp, notifications_bp, webhooks_bp, api_bp, live_bp, messages_bp,
                      feeds_bp, documents_bp):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from portal.cli import register_commands

    register_commands(app)
