"""Follow people, companies, threads, tags and documents; personal and company activity feeds.

`init_app` turns other features' after-commit events into activities (see activities.py) and
gives templates `my_feed(limit)` for the dashboard and `is_following_target(kind, id)` for
follow buttons on other features' pages.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.feeds import activities, dashboard

    activities.init_app(app)
    app.add_template_global(dashboard.my_feed)
    app.add_template_global(dashboard.is_following_target)
