"""Helpers for matching tests (no tests of its own): a small ecosystem with tags and a forum."""

from __future__ import annotations

from portal.forums import services as forums
from portal.profiles.services import set_person_tags
from tests.test_companies_support import make_company, make_user


def person_with(session, name: str, *, company=None, visibility: dict | None = None, **tags):
    """A member (account + profile) with tags given as kind=list, e.g. needs=["SAP consulting"]."""
    user, person = make_user(session, name=name)
    if company is not None:
        person.company_id = company.id
        person.membership_status = "active"
    for kind in ("skill", "interest", "offer", "need"):
        names = tags.get(kind + "s")
        if names:
            set_person_tags(session, person, kind, names)
    if visibility:
        person.visibility = {**(person.visibility or {}), **visibility}
    session.flush()
    return user, person


def company_with(session, admin_person, name: str, *, offers=(), needs=(), **fields):
    """A company whose admin is `admin_person`, offering and needing the given tags."""
    company = make_company(session, admin_person, name, offers=", ".join(offers), needs=", ".join(needs), **fields)
    session.flush()
    return company


def converse(session, category, asker, answerer, title: str = "Who knows EDI?", tags=("logistics",)):
    """`asker` opens a thread, `answerer` replies: one interaction each way in the graph's eyes."""
    thread = forums.create_thread(session, category, asker.id, title, "Looking for pointers.", tags=list(tags))
    forums.reply(session, thread, answerer.id, "Happy to help with that.")
    session.flush()
    return thread
