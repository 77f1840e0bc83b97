"""Limits and periods of introductions, from the app's config (or the environment) with defaults.

Services take no Flask imports: they read the settings of the app their session belongs to
(`session.info["flask_app"]`, set by portal.db) and fall back to the defaults, so that other
features can call them without passing settings around.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

DEFAULTS = {
    "INTRODUCTION_EXPIRY_DAYS": 14,       # a pending introduction expires after this many days
    "INTRODUCTIONS_PER_WEEK": 5,          # introductions (and broker requests) one member may ask for per 7 days
    "INTRODUCTIONS_MAX_PENDING": 10,      # introductions waiting for one member's answer at once
    "INTRODUCTION_FOLLOWUP_DAYS": 14,     # days after acceptance before asking whether they met
}


@dataclass(frozen=True)
class IntroductionSettings:
    expiry_days: int = 14
    per_week: int = 5
    max_pending: int = 10
    followup_days: int = 14
    base_url: str = "http://127.0.0.1:5000"

    def link(self, path: str) -> str:
        """An absolute link for mails."""
        return self.base_url.rstrip("/") + path


def _positive_int(config: Mapping, key: str) -> int:
    raw = config.get(key, os.environ.get(key))
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return DEFAULTS[key]
    return value if value > 0 else DEFAULTS[key]


def settings_from(config: Mapping) -> IntroductionSettings:
    """Settings from a Flask config mapping (keys above; PORTAL_BASE_URL via SERVER_NAME_FOR_MAIL)."""
    return IntroductionSettings(
        expiry_days=_positive_int(config, "INTRODUCTION_EXPIRY_DAYS"),
        per_week=_positive_int(config, "INTRODUCTIONS_PER_WEEK"),
        max_pending=_positive_int(config, "INTRODUCTIONS_MAX_PENDING"),
        followup_days=_positive_int(config, "INTRODUCTION_FOLLOWUP_DAYS"),
        base_url=config.get("SERVER_NAME_FOR_MAIL") or "http://127.0.0.1:5000",
    )


def settings_for(session: Session, override: IntroductionSettings | None = None) -> IntroductionSettings:
    """`override` when given, else the settings of the session's app, else the defaults."""
    if override is not None:
        return override
    app = session.info.get("flask_app")
    return settings_from(app.config if app is not None else {})
