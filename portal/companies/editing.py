"""Creating and editing a company profile as a whole (all fields validated before anything is written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from portal.companies.models import COMPANY_SIZES, INDUSTRIES, PARTNER_TYPES, Company, CompanyDomain, company_regions
from portal.companies.services import (
    company_domains,
    company_tags,
    create_company,
    normalize_domain,
    set_company_domains,
    set_company_tags,
)
from portal.db import queue_event, utcnow
from portal.errors import DomainError
from portal.profiles.models import Person
from portal.profiles.services import set_company_membership
from portal.tags.services import parse_tag_list
from portal.text import clean_line, clean_text

MAX_NAME, MAX_DESCRIPTION, MAX_WEBSITE = 120, 5000, 300
MAX_DOMAINS = 20


@dataclass
class CompanyFields:
    """What the company form edits. Tags and domains are comma-separated text."""

    name: str
    description: str = ""
    website: str = ""
    industry: str = ""
    region: str = ""
    size: str = ""
    partner_type: str = "other"
    offers: str = ""
    needs: str = ""
    email_domains: str = ""


@dataclass
class _Cleaned:
    name: str
    description: str
    website: str
    industry: str
    region: str
    size: str
    partner_type: str
    offers: list[str]
    needs: list[str]
    domains: list[str]


def clean_website(raw: str) -> str:
    """An http(s) address or ''. A bare host like "example.com" gets https:// in front."""
    value = clean_line(raw)
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value
    if len(value) > MAX_WEBSITE:
        raise DomainError(f"The website address can be at most {MAX_WEBSITE} characters.", field="website")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise DomainError("Please enter a valid web address.", field="website") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise DomainError("The website must start with http:// or https://.", field="website")
    host = parts.hostname or ""
    if not host or " " in value or ("." not in host and host != "localhost"):
        raise DomainError("Please enter a valid web address, like https://example.com.", field="website")
    return value


def _choice(value: str, allowed, field: str, label: str) -> str:
    value = (value or "").strip()
    if value and value not in allowed:
        raise DomainError(f"Please choose a {label} from the list.", field=field)
    return value


def _tag_names(raw: str, field: str) -> list[str]:
    try:
        return parse_tag_list(raw or "")
    except DomainError as exc:
        raise DomainError(exc.message, field=field) from exc


def _clean(session: Session, fields: CompanyFields, company: Company | None) -> _Cleaned:
    name = clean_line(fields.name)
    if not name:
        raise DomainError("Please enter the company name.", field="name")
    if len(name) > MAX_NAME:
        raise DomainError(f"A company name can be at most {MAX_NAME} characters.", field="name")
    description = clean_text(fields.description)
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(f"The description can be at most {MAX_DESCRIPTION} characters.", field="description")
    partner_type = (fields.partner_type or "other").strip()
    if partner_type not in PARTNER_TYPES:
        raise DomainError("Please choose a partner type from the list.", field="partner_type")
    raw_domains = [d for d in (fields.email_domains or "").replace(";", ",").split(",") if d.strip()]
    if len(raw_domains) > MAX_DOMAINS:
        raise DomainError(f"At most {MAX_DOMAINS} email domains.", field="email_domains")
    domains = list(dict.fromkeys(normalize_domain(d) for d in raw_domains))
    for domain in domains:
        owner = session.get(CompanyDomain, domain)
        if owner is not None and (company is None or owner.company_id != company.id):
            raise DomainError(f"The domain {domain} already belongs to another company.", field="email_domains")
    return _Cleaned(
        name=name,
        description=description,
        website=clean_website(fields.website),
        industry=_choice(fields.industry, INDUSTRIES, "industry", "industry"),
        region=_choice(fields.region, company_regions(), "region", "region"),
        size=_choice(fields.size, COMPANY_SIZES, "size", "size"),
        partner_type=partner_type,
        offers=_tag_names(fields.offers, "offers"),
        needs=_tag_names(fields.needs, "needs"),
        domains=domains,
    )


def _apply(session: Session, company: Company, cleaned: _Cleaned) -> None:
    company.name = cleaned.name
    company.description = cleaned.description
    company.website = cleaned.website
    company.industry = cleaned.industry
    company.region = cleaned.region
    company.size = cleaned.size
    company.partner_type = cleaned.partner_type
    session.flush()
    set_company_tags(session, company, "offer", cleaned.offers)
    set_company_tags(session, company, "need", cleaned.needs)
    set_company_domains(session, company, cleaned.domains)
    queue_event(session, "company.changed", {"company_id": company.id})


def create_company_for(session: Session, person: Person, fields: CompanyFields) -> Company:
    """A person without a company creates one and becomes its admin."""
    if person.company_id is not None:
        raise DomainError("You already belong to a company. Leave it first to create a new one.")
    cleaned = _clean(session, fields, None)
    company = create_company(session, cleaned.name, partner_type=cleaned.partner_type)
    _apply(session, company, cleaned)
    set_company_membership(session, person, company.id, role="admin", status="active")
    return company


def update_company(session: Session, company: Company, fields: CompanyFields) -> Company:
    """Replace every editable field of the company; on any error nothing is written."""
    cleaned = _clean(session, fields, company)
    _apply(session, company, cleaned)
    return company


def fields_of(session: Session, company: Company) -> CompanyFields:
    """The company's current values, as the edit form shows them."""
    tags = company_tags(session, [company.id])[company.id]
    return CompanyFields(
        name=company.name, description=company.description, website=company.website,
        industry=company.industry, region=company.region, size=company.size,
        partner_type=company.partner_type,
        offers=", ".join(t.name for t in tags["offer"]),
        needs=", ".join(t.name for t in tags["need"]),
        email_domains=", ".join(company_domains(session, company.id)),
    )


def set_verified(session: Session, company: Company, verified: bool, now: datetime | None = None) -> None:
    """Ecosystem admins vouch for a company (or withdraw it)."""
    if verified and company.verified_at is None:
        company.verified_at = now or utcnow()
    elif not verified:
        company.verified_at = None
    session.flush()
    queue_event(session, "company.changed", {"company_id": company.id})


def safe_website(url: str) -> str:
    """The stored website if it is an http(s) URL, else '' (older or imported rows may not be)."""
    try:
        scheme = urlsplit(url or "").scheme.lower()
    except ValueError:
        return ""
    return url if scheme in {"http", "https"} else ""
