"""Helpers for company, directory, admin and home tests (no tests of its own).

Setup data is committed to the test's savepoint so that the view's session sees it; the whole
test transaction is still rolled back afterwards (see conftest._transaction).
"""

from __future__ import annotations

import itertools

from flask import g, has_app_context

from portal.auth.models import User
from portal.companies.editing import CompanyFields, create_company_for
from portal.db import utcnow
from portal.profiles.services import create_person

_numbers = itertools.count(1)


def make_user(session, email: str | None = None, *, role: str = "member", name: str | None = None,
              with_person: bool = True, **person_fields):
    """An active, verified account with a profile. Returns (user, person)."""
    n = next(_numbers)
    email = email or f"user{n}@example.org"
    user = User(email=email, password_hash="!", role=role, email_verified_at=utcnow())
    session.add(user)
    session.flush()
    person = create_person(session, name or f"Person {n}", email=email, user_id=user.id,
                           **person_fields) if with_person else None
    session.flush()
    return user, person


def make_company(session, admin_person, name: str = "Acme Integration", **fields):
    """A company created through the service, with `admin_person` as its admin."""
    return create_company_for(session, admin_person, CompanyFields(name=name, **fields))


def login(client, user) -> None:
    """Log the test client in as `user` (or out with None) without going through the login form."""
    with client.session_transaction() as browser_session:
        browser_session.clear()
        if user is not None:
            browser_session["_user_id"] = user.get_id()
            browser_session["_fresh"] = True
    # Tests share one app context with the views: drop per-request caches of the previous user.
    if has_app_context():
        for key in ("_login_user", "current_person"):
            g.pop(key, None)
