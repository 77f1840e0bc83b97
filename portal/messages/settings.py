"""Limits of private messages, from the app's config (or the environment) with defaults.

Like portal/introductions/settings.py: services read the settings of the app their session
belongs to, so callers (introductions, the demo) need not pass them around.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

DEFAULTS = {
    "MESSAGES_NEW_CONVERSATIONS_PER_DAY": 20,  # conversations one member may start in any 24 hours (spam guard)
    "MESSAGES_GROUP_MAX": 10,                  # people in one group conversation, its creator included
    "MESSAGES_MAX_LENGTH": 5000,               # characters in one message
}


@dataclass(frozen=True)
class MessageSettings:
    new_conversations_per_day: int = 20
    group_max: int = 10
    max_length: int = 5000


def _positive_int(config: Mapping, key: str) -> int:
    raw = config.get(key, os.environ.get(key))
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return DEFAULTS[key]
    return value if value > 0 else DEFAULTS[key]


def settings_from(config: Mapping) -> MessageSettings:
    return MessageSettings(
        new_conversations_per_day=_positive_int(config, "MESSAGES_NEW_CONVERSATIONS_PER_DAY"),
        group_max=max(2, _positive_int(config, "MESSAGES_GROUP_MAX")),
        max_length=_positive_int(config, "MESSAGES_MAX_LENGTH"),
    )


def settings_for(session: Session, override: MessageSettings | None = None) -> MessageSettings:
    """`override` when given, else the settings of the session's app, else the defaults."""
    if override is not None:
        return override
    app = session.info.get("flask_app")
    return settings_from(app.config if app is not None else {})
