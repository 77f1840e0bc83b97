"""Helpers for feed tests (no tests of its own)."""

from __future__ import annotations

from datetime import timedelta

from portal.db import utcnow
from portal.feeds import services


def status(session, company_id: int, title: str, *, minutes_ago: float = 0, **kw):
    """A status update in a company's feed, as a member system posts one."""
    return services.record_activity(
        session, verb="status.update", title=title, url="", targets=[], company_id=company_id,
        actor_client_id="erp-system", created_at=utcnow() - timedelta(minutes=minutes_ago), **kw)


def titles(page) -> list[str]:
    return [activity.title for activity in page.items]
