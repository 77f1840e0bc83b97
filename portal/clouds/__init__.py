"""Tag clouds of people, companies, categories and the ecosystem, and the hovercards that show them.

`init_app` subscribes the incremental indexer to forum and profile events (see indexer.py).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Keep the precomputed term tables current after each commit; one cache of rendered clouds per app."""
    from portal.clouds import events

    events.init_app(app)
