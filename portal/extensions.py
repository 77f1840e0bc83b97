"""Flask extensions, created unbound and initialised in the app factory.

- Flask-WTF: forms with CSRF on every POST (also for forms we build by hand in templates).
- Flask-Limiter: rate limits on login and sign-up; memory storage by default, Redis when
  REDIS_URL is set so that several processes share the counters.
- Flask-Login: sessions and remember-me cookies.
- Flask-Talisman: security headers (CSP without inline script, frame options, HSTS when HTTPS).
"""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _rate_limits_off_for_this_app() -> bool:
    """Flask-Limiter keeps its on/off switch on the one shared Limiter, so an app made with
    RATELIMIT_ENABLED=False would switch limits off for every app of the process; the switch
    is kept per app instead (see portal/__init__.py)."""
    return not current_app.config.get("PORTAL_RATELIMIT_ON", True)


login_manager = LoginManager()
talisman = Talisman()

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
