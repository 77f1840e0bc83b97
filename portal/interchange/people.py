"""The `person` record kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.services import company_by_external_id
from portal.interchange import fields as f
from portal.interchange.companies import _tag_keys
from portal.interchange.htmlmd import html_to_markdown
from portal.interchange.registry import CREATED, UNCHANGED, UPDATED, KindHandler
from portal.profiles.models import Person
from portal.profiles.services import (
    create_person,
    person_by_email,
    person_by_external_id,
    person_tags,
    set_company_membership,
    set_person_tags,
    update_person_fields,
)

MAX_BIO = 10000
PLAIN_FIELDS = ("job_title", "headline", "bio", "location")
TAG_FIELDS = {"skills": "skill", "interests": "interest", "offers": "offer", "needs": "need"}
FIELD_ORDER = ("name", "email", "company", "job_title", "headline", "bio", "location",
               "skills", "interests", "offers", "needs", "created_at")

FIELDS = {
    "name": f.Field(f.line_string(120, required=True), required=True),
    "email": f.Field(f.line_string(254)),
    "company": f.Field(f.line_string(128)),
    "job_title": f.Field(f.line_string(120)),
    "headline": f.Field(f.line_string(160)),
    "bio": f.Field(f.text(MAX_BIO)),
    "bio_format": f.Field(f.choice(("markdown", "html"))),
    "location": f.Field(f.line_string(120)),
    "skills": f.Field(f.tag_list),
    "interests": f.Field(f.tag_list),
    "offers": f.Field(f.tag_list),
    "needs": f.Field(f.tag_list),
    "created_at": f.Field(f.date_time),
}


def check(data: dict[str, Any], ctx) -> Iterator[str]:
    if data.pop("bio_format", "markdown") == "html" and data.get("bio"):
        data["bio"] = html_to_markdown(data["bio"])
        if len(data["bio"]) > MAX_BIO:
            yield f"field 'bio' is too long after conversion to Markdown (at most {MAX_BIO} characters)"
    if data.get("email"):
        try:
            data["email"] = validate_email(data["email"], check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            yield f"field 'email' is not a valid email address: {error}"
        else:
            owner = person_by_email(ctx.session, data["email"]) if ctx.session is not None else None
            if owner is not None and owner.external_id != ctx.record_id:
                yield f"email '{data['email']}' already belongs to another person in the portal"
            else:
                earlier = ctx.claim("person-email", data["email"])
                if earlier is not None:
                    yield f"email '{data['email']}' is already used by person '{earlier[0]}' (line {earlier[1]})"
    if data.get("company") and not ctx.defines("company", data["company"]):
        yield f"unknown company '{data['company']}' (not defined on an earlier line nor in the portal)"


def exists(session: Session, external_id: str) -> bool:
    return person_by_external_id(session, external_id) is not None


def _company_id(session: Session, state, external_id: str | None) -> int | None:
    if not external_id:
        return None
    return state.get("company", external_id, company_by_external_id).id


def apply(session: Session, record, state) -> str:
    data = record.data
    plain = {key: data.get(key, "") for key in PLAIN_FIELDS}
    company_id = _company_id(session, state, data.get("company"))
    person = state.get("person", record.id, person_by_external_id)
    if person is None:
        person = create_person(session, data["name"], email=data.get("email"), external_id=record.id,
                               created_at=data.get("created_at"), **plain)
        if company_id is not None:
            set_company_membership(session, person, company_id)
        for field, kind in TAG_FIELDS.items():
            if data.get(field):
                set_person_tags(session, person, kind, data[field])
        state.remember("person", record.id, person)
        return CREATED
    changed = bool(update_person_fields(session, person, name=data["name"], email=data.get("email"),
                                        created_at=data.get("created_at"), **plain))
    if person.company_id != company_id:
        set_company_membership(session, person, company_id)
        changed = True
    current = person_tags(session, [person.id])[person.id]
    for field, kind in TAG_FIELDS.items():
        wanted = data.get(field, [])
        if [t.key for t in current[kind]] != _tag_keys(session, wanted):
            set_person_tags(session, person, kind, wanted)
            changed = True
    return UPDATED if changed else UNCHANGED


def export(session: Session) -> Iterator[dict[str, Any]]:
    from portal.companies.models import Company

    people = list(session.scalars(select(Person)))
    people.sort(key=lambda p: p.external_id or f"person-{p.id}")
    company_ids = dict(session.execute(select(Company.id, Company.external_id)).all())
    tags = person_tags(session, [p.id for p in people])
    for person in people:
        # A pending request to join is not membership yet.
        active = person.company_id is not None and person.membership_status == "active"
        values: dict[str, Any] = {
            "name": person.name, "email": person.email or "",
            "company": (company_ids.get(person.company_id) or f"company-{person.company_id}") if active else "",
            "job_title": person.job_title, "headline": person.headline, "bio": person.bio,
            "location": person.location,
            "created_at": f.format_datetime(person.created_at) if person.created_at else "",
        }
        for field, kind in TAG_FIELDS.items():
            values[field] = [t.name for t in tags[person.id][kind]]
        record = {"kind": "person", "id": person.external_id or f"person-{person.id}"}
        record.update((key, values[key]) for key in FIELD_ORDER if values[key])
        yield record


HANDLER = KindHandler(kind="person", fields=FIELDS, check=check, apply=apply, export=export, exists=exists,
                      order=20, field_order=FIELD_ORDER)
