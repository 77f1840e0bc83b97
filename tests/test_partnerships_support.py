"""Helpers for partnership tests (no tests of its own)."""

from __future__ import annotations

from tests.test_companies_support import make_company, make_user


def company_with_admin(session, name: str):
    """A company and its admin. Returns (user, person, company)."""
    user, person = make_user(session, name=f"{name} Admin")
    company = make_company(session, person, name)
    session.flush()
    return user, person, company


def member_of(session, company, name: str = "Plain Member"):
    """An active non-admin member of `company`. Returns (user, person)."""
    from portal.profiles.services import set_company_membership

    user, person = make_user(session, name=name)
    set_company_membership(session, person, company.id, role="member", status="active")
    return user, person
