"""Settings from the environment, read in one place.

Every variable is documented in README.md ("Configuration").
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default: float, *, positive: bool = False) -> float:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r}: expected a number") from None
    if number < 0 or (positive and number == 0):
        raise SystemExit(f"{name}={value!r}: expected a number above 0" if positive
                         else f"{name}={value!r}: expected 0 or more")
    return number


def instance_path() -> Path:
    """The folder that holds all local state (database, outbox, uploads, index)."""
    return Path(os.environ.get("PORTAL_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def _secret_key(folder: Path) -> str:
    """A stable secret: from the environment, else generated once into the instance folder.

    A generated constant in the code would be shared by every install; a per-process
    random key would log everybody out on each restart.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = folder / "secret_key"
    if not key_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def from_environment() -> dict:
    """Build the Flask config mapping from environment variables."""
    folder = instance_path()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'portal.db'}"
    redis_url = os.environ.get("REDIS_URL", "")
    return {
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": _secret_key(folder),
        "DATABASE_URL": normalize_database_url(database_url),
        "REDIS_URL": redis_url,
        "SERVER_NAME_FOR_MAIL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "PartnerMesh <no-reply@partnermesh.local>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", True),
        "DEV_OUTBOX_PAGE": _bool("PORTAL_DEV_OUTBOX", not os.environ.get("SMTP_HOST")),
        "SESSION_COOKIE_SECURE": _bool("PORTAL_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_SECURE": _bool("PORTAL_SECURE_COOKIES", False),
        "FORCE_HTTPS": _bool("PORTAL_FORCE_HTTPS", False),
        "RATELIMIT_ENABLED": _bool("PORTAL_RATELIMIT", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "partnermesh"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("PORTAL_MAX_UPLOAD_BYTES", str(2 * 1024 * 1024))),
        "AVATAR_MAX_BYTES": int(os.environ.get("PORTAL_AVATAR_MAX_BYTES", str(1024 * 1024))),
        "DOCUMENT_MAX_BYTES": int(_number("PORTAL_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024, positive=True)),
        "DOCUMENT_TYPES": os.environ.get("PORTAL_DOCUMENT_TYPES", ""),  # checked by portal.documents.init_app
        "SQL_ECHO": _bool("PORTAL_SQL_ECHO", False),
        "SEARCH_BACKEND": os.environ.get("SEARCH_BACKEND", "whoosh"),
        "SEARCH_INDEX_PATH": os.environ.get("SEARCH_INDEX_PATH", ""),  # default: <instance>/search-index
        "SEARCH_REBUILD_MEMORY_MB": int(os.environ.get("SEARCH_REBUILD_MEMORY_MB", "1024")),
        "MATCHING_HALF_LIFE_DAYS": _number("MATCHING_HALF_LIFE_DAYS", 180.0, positive=True),
        "MATCHING_REBUILD_SECONDS": _number("MATCHING_REBUILD_SECONDS", 6 * 3600.0),
        # Live updates (portal/realtime): see README "Live updates".
        "LIVE_MAX_STREAMS": int(_number("LIVE_MAX_STREAMS", 1000, positive=True)),
        "LIVE_MAX_STREAMS_PER_PERSON": int(_number("LIVE_MAX_STREAMS_PER_PERSON", 10, positive=True)),
        "LIVE_HEARTBEAT_SECONDS": _number("LIVE_HEARTBEAT_SECONDS", 15.0, positive=True),
        "LIVE_RETRY_MS": int(_number("LIVE_RETRY_MS", 3000, positive=True)),
        "LIVE_STREAM_MAX_SECONDS": _number("LIVE_STREAM_MAX_SECONDS", 3600.0, positive=True),
        "LIVE_POLL_SECONDS": _number("LIVE_POLL_SECONDS", 5.0),
        # gunicorn (HTTP/1.x, no TLS): one writer thread sends every stream's events (realtime/writer.py)
        "LIVE_DIRECT_WRITES": _bool("LIVE_DIRECT_WRITES", True),
        "LIVE_LOG_KEEP_SECONDS": _number("LIVE_LOG_KEEP_SECONDS", 24 * 3600.0, positive=True),
    }


def normalize_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
