"""Small reads of companies for other features (partnerships, the OpenID Provider's claims):
by id, in bulk, their active admins, and the list to pick a partner from."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.models import Company
from portal.profiles.models import Person


def company_by_id(session: Session, company_id: int | None) -> Company | None:
    return session.get(Company, company_id) if company_id is not None else None


def companies_by_ids(session: Session, company_ids: Iterable[int]) -> dict[int, Company]:
    """Many companies in one query, by id."""
    ids = {i for i in company_ids if i is not None}
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(ids)))}


def company_admins(session: Session, company_id: int) -> list[Person]:
    """The company's active admins (who get its mail about partnerships), by name."""
    return list(session.scalars(select(Person).where(
        Person.company_id == company_id, Person.company_role == "admin", Person.membership_status == "active")
        .order_by(Person.name, Person.id)))


def company_choices(session: Session, *, exclude_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of every company, by name, for a select box."""
    query = select(Company.id, Company.name).order_by(Company.name, Company.id)
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    return [(row.id, row.name) for row in session.execute(query)]
