"""What notification mail needs from the app's config, read without Flask imports.

Services read the config of the app their session belongs to (`session.info["flask_app"]`, set by
portal.db), so that producers (forums, introductions, documents, messages) call `notify` with
plain values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class NotificationSettings:
    secret_key: str
    base_url: str = "http://127.0.0.1:5000"

    def link(self, path: str) -> str:
        """An absolute link for mails."""
        return self.base_url.rstrip("/") + path


def settings_from(config: Mapping) -> NotificationSettings:
    return NotificationSettings(secret_key=config.get("SECRET_KEY") or "",
                                base_url=config.get("SERVER_NAME_FOR_MAIL") or "http://127.0.0.1:5000")


def settings_for(session: Session) -> NotificationSettings:
    app = session.info.get("flask_app")
    settings = settings_from(app.config if app is not None else {})
    if not settings.secret_key:
        # Unsigned unsubscribe links would let anyone switch off anyone's mail.
        raise RuntimeError("SECRET_KEY is needed to sign unsubscribe links")
    return settings
