"""Company profiles: creation, lookup, tags, email domains."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.companies.models import COMPANY_TAG_KINDS, PARTNER_TYPES, Company, CompanyDomain, CompanyTag
from portal.db import queue_event
from portal.errors import DomainError
from portal.tags.models import Tag
from portal.tags.services import get_or_create_tags, parse_tag_list
from portal.text import clean_line, slugify

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


# Slugs that would collide with fixed routes under /companies/.
RESERVED_COMPANY_SLUGS = {"new"}


def unique_company_slug(session: Session, name: str) -> str:
    base = slugify(name, 60)
    if base in RESERVED_COMPANY_SLUGS:
        base = f"{base}-company"
    slug, n = base, 1
    while session.scalar(select(Company.id).where(Company.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_company(session: Session, name: str, *, external_id: str | None = None,
                   partner_type: str = "other", **fields: str) -> Company:
    """A new company. `fields`: description, website, industry, region, size."""
    name = clean_line(name)
    if not name:
        raise DomainError("Please enter the company name.", field="name")
    if len(name) > 120:
        raise DomainError("A company name can be at most 120 characters.", field="name")
    if partner_type not in PARTNER_TYPES:
        raise DomainError(f"Unknown partner type {partner_type!r}.", field="partner_type")
    company = Company(name=name, slug=unique_company_slug(session, name), partner_type=partner_type)
    for key, value in fields.items():
        if key not in {"description", "website", "industry", "region", "size"}:
            raise TypeError(f"unknown company field {key}")
        setattr(company, key, value or "")
    session.add(company)
    session.flush()
    company.external_id = external_id or f"company-{company.id}"
    session.flush()
    queue_event(session, "company.changed", {"company_id": company.id})
    return company


def company_by_slug(session: Session, slug: str) -> Company | None:
    return session.scalar(select(Company).where(Company.slug == slug))


def company_by_external_id(session: Session, external_id: str) -> Company | None:
    return session.scalar(select(Company).where(Company.external_id == external_id))


def normalize_domain(raw: str) -> str:
    domain = raw.strip().lower().removeprefix("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise DomainError(f"{raw!r} is not a valid email domain.", field="email_domains") from exc
    if not _DOMAIN.match(domain):
        raise DomainError(f"{raw.strip()[:60]!r} is not a valid email domain.", field="email_domains")
    return domain


def set_company_domains(session: Session, company: Company, domains: Iterable[str]) -> list[str]:
    """Replace the company's email domains; a domain belongs to one company only."""
    normalized = list(dict.fromkeys(normalize_domain(d) for d in domains if d.strip()))
    for domain in normalized:
        owner = session.get(CompanyDomain, domain)
        if owner is not None and owner.company_id != company.id:
            raise DomainError(f"The domain {domain} already belongs to another company.", field="email_domains")
    session.execute(delete(CompanyDomain).where(CompanyDomain.company_id == company.id))
    session.flush()
    for domain in normalized:
        session.add(CompanyDomain(domain=domain, company_id=company.id))
    session.flush()
    return normalized


def company_domains(session: Session, company_id: int) -> list[str]:
    return list(session.scalars(select(CompanyDomain.domain).where(CompanyDomain.company_id == company_id)
                                .order_by(CompanyDomain.domain)))


def company_for_email(session: Session, email: str) -> Company | None:
    """The company whose email domain matches this address, if any."""
    domain = email.rsplit("@", 1)[-1].lower()
    row = session.get(CompanyDomain, domain)
    return session.get(Company, row.company_id) if row else None


def set_company_tags(session: Session, company: Company, kind: str, names: str | Iterable[str]) -> list[Tag]:
    if kind not in COMPANY_TAG_KINDS:
        raise ValueError(kind)
    tags = get_or_create_tags(session, parse_tag_list(names))
    session.execute(delete(CompanyTag).where(CompanyTag.company_id == company.id, CompanyTag.kind == kind))
    for position, tag in enumerate(tags):
        session.add(CompanyTag(company_id=company.id, tag_id=tag.id, kind=kind, position=position))
    session.flush()
    queue_event(session, "company.changed", {"company_id": company.id})
    return tags


def company_tags(session: Session, company_ids: Iterable[int]) -> dict[int, dict[str, list[Tag]]]:
    ids = list(company_ids)
    result: dict[int, dict[str, list[Tag]]] = {cid: {k: [] for k in COMPANY_TAG_KINDS} for cid in ids}
    if not ids:
        return result
    rows = session.execute(
        select(CompanyTag.company_id, CompanyTag.kind, Tag).join(Tag, Tag.id == CompanyTag.tag_id)
        .where(CompanyTag.company_id.in_(ids)).order_by(CompanyTag.position))
    for company_id, kind, tag in rows:
        result[company_id][kind].append(tag)
    return result


def accept_invitation_for(session: Session, person) -> bool:  # person: portal.profiles.models.Person
    """Sign-up: if an open invitation exists for the person's email, make them an active member
    with the invited role and mark the invitation accepted. False when there is none (or the
    person already belongs to another company)."""
    from portal.companies.models import CompanyInvitation
    from portal.db import utcnow
    from portal.profiles.services import set_company_membership

    if not person.email:
        return False
    invitation = session.scalar(select(CompanyInvitation).where(
        CompanyInvitation.email == person.email.lower(), CompanyInvitation.accepted_at.is_(None))
        .order_by(CompanyInvitation.created_at.desc(), CompanyInvitation.id.desc()).limit(1))
    if invitation is None or person.company_id not in (None, invitation.company_id):
        return False
    role = invitation.role if invitation.role in ("member", "admin") else "member"
    set_company_membership(session, person, invitation.company_id, role=role, status="active")
    invitation.accepted_at = utcnow()
    session.flush()
    return True


def company_summary(session: Session, company_id: int | None) -> tuple[str, str] | None:
    """(name, slug) of a company for links from other features, or None when there is none."""
    if company_id is None:
        return None
    row = session.execute(select(Company.name, Company.slug).where(Company.id == company_id)).first()
    return (row.name, row.slug) if row else None


def company_summaries(session: Session, company_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(name, slug) of several companies in one query, by id (for lists of people)."""
    ids = {i for i in company_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(Company.id, Company.name, Company.slug).where(Company.id.in_(ids)))
    return {row.id: (row.name, row.slug) for row in rows}


COMPANY_FIELD_LIMITS = {"name": 120, "description": 5000, "website": 300, "industry": 80, "region": 80, "size": 16}


def update_company_fields(session: Session, company: Company, **fields: str) -> list[str]:
    """Set plain company fields (name, description, website, industry, region, size, partner_type);
    returns the names of the fields that changed. Importers and generators call this."""
    changed: list[str] = []
    for key, value in fields.items():
        if key == "partner_type":
            if value not in PARTNER_TYPES:
                raise DomainError(f"Unknown partner type {value!r}.", field="partner_type")
        elif key in COMPANY_FIELD_LIMITS:
            value = clean_line(value) if key == "name" else (value or "")
            if key == "name" and not value:
                raise DomainError("Please enter the company name.", field="name")
            if len(value) > COMPANY_FIELD_LIMITS[key]:
                raise DomainError(f"The {key} can be at most {COMPANY_FIELD_LIMITS[key]} characters.", field=key)
        else:
            raise TypeError(f"unknown company field {key}")
        if getattr(company, key) != value:
            setattr(company, key, value)
            changed.append(key)
    if changed:
        session.flush()
        queue_event(session, "company.changed", {"company_id": company.id})
    return changed
