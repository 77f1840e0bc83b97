"""The `company` record kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.editing import clean_website
from portal.companies.models import COMPANY_SIZES, INDUSTRIES, PARTNER_TYPES, Company, company_regions
from portal.companies.services import (
    company_by_external_id,
    company_domains,
    company_tags,
    create_company,
    normalize_domain,
    set_company_domains,
    set_company_tags,
    update_company_fields,
)
from portal.errors import DomainError
from portal.interchange import fields as f
from portal.interchange.registry import CREATED, UNCHANGED, UPDATED, KindHandler
from portal.tags.services import find_tag, normalize_tag_key

PLAIN_FIELDS = ("description", "website", "industry", "region", "size")
FIELD_ORDER = ("name", "description", "website", "industry", "region", "size", "partner_type",
               "offers", "needs", "email_domains")

FIELDS = {
    "name": f.Field(f.line_string(120, required=True), required=True),
    "description": f.Field(f.text(5000)),
    "website": f.Field(f.line_string(300)),
    "industry": f.Field(f.line_string(80)),
    "region": f.Field(f.line_string(80)),
    "size": f.Field(f.line_string(16)),
    "partner_type": f.Field(f.line_string(40)),
    "offers": f.Field(f.tag_list),
    "needs": f.Field(f.tag_list),
    "email_domains": f.Field(f.string_list(20, 253)),
}


def _squash(value: str) -> str:
    return " ".join(value.replace("_", " ").replace("-", " ").casefold().split())


def partner_type_key(value: str) -> str | None:
    """'isv', 'ISV', 'Systems integrator', 'systems_integrator' → the stored key."""
    wanted = _squash(value)
    for key, label in PARTNER_TYPES.items():
        if wanted in (_squash(key), _squash(label)):
            return key
    return None


def _from_list(value: str, options: tuple[str, ...]) -> str | None:
    for option in options:
        if option.casefold() == value.casefold():
            return option
    return None


def check(data: dict[str, Any], ctx) -> Iterator[str]:
    if "partner_type" in data:
        key = partner_type_key(data["partner_type"])
        if key is None:
            labels = ", ".join(PARTNER_TYPES.values())
            yield f"unknown partner_type '{data['partner_type'][:40]}' (one of: {labels})"
        else:
            data["partner_type"] = key
    for name, options in (("industry", INDUSTRIES), ("region", company_regions()), ("size", COMPANY_SIZES)):
        if data.get(name):
            value = _from_list(data[name], tuple(options))
            if value is None:
                yield f"unknown {name} '{data[name][:40]}' (one of: {', '.join(options)})"
            else:
                data[name] = value
    if data.get("website"):
        try:
            data["website"] = clean_website(data["website"])
        except DomainError as error:
            yield f"field 'website': {error.message}"
    domains = []
    for raw in data.get("email_domains", []):
        try:
            domain = normalize_domain(raw)
        except DomainError as error:
            yield f"field 'email_domains': {error.message}"
            continue
        if domain in domains:
            continue
        domains.append(domain)
        owner = _domain_owner(ctx.session, domain) if ctx.session is not None else None
        if owner is not None and owner != ctx.record_id:
            yield f"email domain '{domain}' already belongs to another company in the portal"
            continue
        earlier = ctx.claim("company-domain", domain)
        if earlier is not None:
            yield f"email domain '{domain}' is already used by company '{earlier[0]}' (line {earlier[1]})"
    data["email_domains"] = domains


def _domain_owner(session: Session, domain: str) -> str | None:
    from portal.companies.services import company_for_email

    company = company_for_email(session, "x@" + domain)
    return company.external_id if company else None


def exists(session: Session, external_id: str) -> bool:
    return company_by_external_id(session, external_id) is not None


def _tag_keys(session: Session, names: list[str]) -> list[str]:
    keys = []
    for name in names:
        tag = find_tag(session, name)
        keys.append(tag.key if tag else normalize_tag_key(name))
    return keys


def apply(session: Session, record, state) -> str:
    data = record.data
    plain = {key: data.get(key, "") for key in PLAIN_FIELDS}
    partner_type = data.get("partner_type", "other")
    company = state.get("company", record.id, company_by_external_id)
    if company is None:
        company = create_company(session, data["name"], external_id=record.id, partner_type=partner_type, **plain)
        for kind in ("offer", "need"):
            if data.get(kind + "s"):
                set_company_tags(session, company, kind, data[kind + "s"])
        if data.get("email_domains"):
            set_company_domains(session, company, data["email_domains"])
        state.remember("company", record.id, company)
        return CREATED
    changed = bool(update_company_fields(session, company, name=data["name"], partner_type=partner_type, **plain))
    current = company_tags(session, [company.id])[company.id]
    for kind in ("offer", "need"):
        wanted = data.get(kind + "s", [])
        if [t.key for t in current[kind]] != _tag_keys(session, wanted):
            set_company_tags(session, company, kind, wanted)
            changed = True
    if sorted(company_domains(session, company.id)) != sorted(data.get("email_domains", [])):
        set_company_domains(session, company, data.get("email_domains", []))
        changed = True
    return UPDATED if changed else UNCHANGED


def export(session: Session) -> Iterator[dict[str, Any]]:
    companies = list(session.scalars(select(Company)))
    companies.sort(key=lambda c: c.external_id or f"company-{c.id}")
    tags = company_tags(session, [c.id for c in companies])
    for company in companies:
        values: dict[str, Any] = {
            "name": company.name, "description": company.description, "website": company.website,
            "industry": company.industry, "region": company.region, "size": company.size,
            "partner_type": company.partner_type,
            "offers": [t.name for t in tags[company.id]["offer"]],
            "needs": [t.name for t in tags[company.id]["need"]],
            "email_domains": company_domains(session, company.id),
        }
        record = {"kind": "company", "id": company.external_id or f"company-{company.id}"}
        record.update((key, values[key]) for key in FIELD_ORDER if values[key])
        yield record


HANDLER = KindHandler(kind="company", fields=FIELDS, check=check, apply=apply, export=export, exists=exists,
                      order=10, field_order=FIELD_ORDER)
