"""Outgoing webhooks: companies subscribe URLs to events; signed, durable, retried deliveries.

catalogue.py   the event types a company can subscribe to
translate.py   domain event → the message one company receives (only what it may see)
capture.py     deliveries written in the transaction that caused them (before_commit)
addresses.py   where webhooks may go (SSRF guard, checked on save and before every request)
sender.py      one signed request to a vetted address; delivery.py claims, retries, gives up
dispatch.py    after-commit sending (thread, inline or off); cli.py `portal webhooks deliver`
"""

from __future__ import annotations

import os

from flask import Flask

# Settings, their environment variables and defaults (documented in README "Outgoing webhooks").
SETTINGS = {
    "WEBHOOKS_SENDER": ("PORTAL_WEBHOOKS_SENDER", "thread"),
    "WEBHOOKS_ALLOW_PRIVATE": ("PORTAL_WEBHOOKS_ALLOW_PRIVATE", ""),
    "WEBHOOKS_ALLOW_HTTP": ("PORTAL_WEBHOOKS_ALLOW_HTTP", False),
    "WEBHOOKS_MAX_ATTEMPTS": ("PORTAL_WEBHOOKS_MAX_ATTEMPTS", 8),
    "WEBHOOKS_DISABLE_AFTER_DAYS": ("PORTAL_WEBHOOKS_DISABLE_AFTER_DAYS", 5.0),
    "WEBHOOKS_CONNECT_TIMEOUT": ("PORTAL_WEBHOOKS_CONNECT_TIMEOUT", 5.0),
    "WEBHOOKS_READ_TIMEOUT": ("PORTAL_WEBHOOKS_READ_TIMEOUT", 10.0),
    "WEBHOOKS_SWEEP_SECONDS": ("PORTAL_WEBHOOKS_SWEEP_SECONDS", 30.0),
    "RATELIMIT_WEBHOOK_SENDS": ("RATELIMIT_WEBHOOK_SENDS", "60/hour;6/minute"),
    "RATELIMIT_WEBHOOK_SUBSCRIBE": ("RATELIMIT_WEBHOOK_SUBSCRIBE", "20/hour"),
}
SENDER_MODES = ("thread", "inline", "off")


def _from_environment(variable: str, default):
    raw = os.environ.get(variable)
    if raw is None or not raw.strip():
        return default
    raw = raw.strip()
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int | float):
        try:
            value = type(default)(raw)
        except ValueError:
            raise SystemExit(f"{variable}={raw!r}: expected a number") from None
        if value <= 0:
            raise SystemExit(f"{variable}={raw!r}: expected a number above 0")
        return value
    return raw


def init_app(app: Flask) -> None:
    """Read the settings, record deliveries before each commit, send them after it."""
    from limits import parse_many

    from portal import events
    from portal.webhooks import capture, dispatch
    from portal.webhooks.addresses import parse_networks

    for name, (variable, default) in SETTINGS.items():
        app.config.setdefault(name, _from_environment(variable, default))
    if app.config["WEBHOOKS_SENDER"] not in SENDER_MODES:
        raise SystemExit(f"PORTAL_WEBHOOKS_SENDER={app.config['WEBHOOKS_SENDER']!r}: expected one of "
                         f"{', '.join(SENDER_MODES)}")
    try:
        parse_networks(app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except ValueError as error:
        raise SystemExit(str(error)) from None
    for name in ("RATELIMIT_WEBHOOK_SENDS", "RATELIMIT_WEBHOOK_SUBSCRIBE"):
        try:
            parse_many(app.config[name])
        except ValueError:
            raise SystemExit(f"{name}={app.config[name]!r}: expected a rate limit such as 6/minute") from None
    capture.attach(app, app.extensions["portal_db"].sessionmaker)
    events.subscribe("webhook.queued", dispatch.on_queued)
