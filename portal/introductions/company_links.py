"""Accepted introductions between the people of two companies, for partnerships to link to
("an introduction that led to a partnership links to it")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from portal.introductions.models import ACCEPTED, Introduction
from portal.profiles.models import Person


@dataclass(frozen=True)
class CompanyIntroduction:
    """An accepted introduction seen from one company: its person, the person at the other company."""

    id: int
    own_person_name: str
    other_person_name: str
    other_company_id: int
    decided_at: datetime | None


def accepted_introductions_of_company(session: Session, company_id: int,
                                      other_company_id: int | None = None) -> list[CompanyIntroduction]:
    """Accepted introductions between an active member of `company_id` and someone at another
    company (or at `other_company_id` only), newest first."""
    a, b = aliased(Person), aliased(Person)
    rows = session.execute(
        select(Introduction.id, Introduction.decided_at, a.name, a.company_id, a.membership_status,
               b.name, b.company_id, b.membership_status)
        .join(a, a.id == Introduction.a_id).join(b, b.id == Introduction.b_id)
        .where(Introduction.status == ACCEPTED,
               (a.company_id == company_id) | (b.company_id == company_id))
        .order_by(Introduction.decided_at.desc(), Introduction.id.desc()))
    found = []
    for intro_id, decided_at, a_name, a_company, a_status, b_name, b_company, b_status in rows:
        if a_company == company_id and a_status == "active":
            own, other, other_company = a_name, b_name, b_company
        elif b_company == company_id and b_status == "active":
            own, other, other_company = b_name, a_name, a_company
        else:
            continue
        if other_company is None or other_company == company_id:
            continue
        if other_company_id is not None and other_company != other_company_id:
            continue
        found.append(CompanyIntroduction(intro_id, own, other, other_company, decided_at))
    return found
