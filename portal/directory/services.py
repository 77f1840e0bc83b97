"""Directory queries: people and companies with filters, honest counts and stable order.

People found by a tag must be allowed to show that tag to the viewer: a person whose offers are
visible to members only is not found by an anonymous visitor searching for one of those offers.
Tag matches are narrowed in SQL, then checked against each candidate's visibility in Python
(a few thousand rows at most), so the count and the pages agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from portal.companies.models import INDUSTRIES, PARTNER_TYPES, Company, CompanyTag, company_regions
from portal.pagination import Page, paginate
from portal.profiles.models import MEMBERS, Person, PersonTag
from portal.profiles.visibility import Viewer, level_allows
from portal.tags.services import find_tag
from portal.text import clean_line

PER_PAGE = 24
MAX_QUERY = 100
# A person's tag kind -> the visibility field that governs it.
TAG_KIND_FIELDS = {"skill": "skills", "interest": "interests", "offer": "offers", "need": "needs"}


@dataclass
class Filters:
    """Cleaned filter values; unknown choices are dropped and reported in `ignored`."""

    q: str = ""
    tag: str = ""
    industry: str = ""
    region: str = ""
    partner_type: str = ""
    ignored: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return any((self.q, self.tag, self.industry, self.region, self.partner_type))


def parse_filters(args) -> Filters:
    """Filters from a query string (any mapping); never raises."""
    def text(name: str) -> str:
        value = args.get(name, "")
        return clean_line(value if isinstance(value, str) else "")[:MAX_QUERY]

    ignored: list[str] = []

    def choice(name: str, allowed) -> str:
        value = text(name)
        if value and value not in allowed:
            ignored.append(name)
            return ""
        return value

    return Filters(q=text("q"), tag=text("tag"), industry=choice("industry", INDUSTRIES),
                   region=choice("region", company_regions()), partner_type=choice("partner_type", PARTNER_TYPES),
                   ignored=tuple(ignored))


def _like(value: str) -> str:
    return "%" + value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _empty_page() -> Page:
    return Page(items=[], number=1, per_page=PER_PAGE, total=0)


def people_statement(filters: Filters) -> Select:
    """People matching every filter except the tag, in a stable order."""
    stmt = select(Person)
    if filters.q:
        stmt = stmt.where(func.lower(Person.name).like(_like(filters.q), escape="\\"))
    if filters.region:
        stmt = stmt.where(Person.region == filters.region)
    if filters.industry or filters.partner_type:
        # Only active members carry their company's industry and partner type.
        stmt = stmt.join(Company, and_(Company.id == Person.company_id, Person.membership_status == "active"))
        if filters.industry:
            stmt = stmt.where(Company.industry == filters.industry)
        if filters.partner_type:
            stmt = stmt.where(Company.partner_type == filters.partner_type)
    return stmt.order_by(func.lower(Person.name), Person.id)


def search_people(session: Session, filters: Filters, viewer: Viewer, page: int = 1) -> Page:
    """A page of people for the directory."""
    stmt = people_statement(filters)
    if not filters.tag:
        return paginate(session, stmt, page, PER_PAGE)
    tag = find_tag(session, filters.tag)
    if tag is None:
        return _empty_page()
    candidates = stmt.with_only_columns(Person.id, Person.visibility).add_columns(PersonTag.kind).join(
        PersonTag, PersonTag.person_id == Person.id).where(PersonTag.tag_id == tag.id)
    matching: dict[int, None] = {}
    for person_id, visibility, kind in session.execute(candidates):
        level = (visibility or {}).get(TAG_KIND_FIELDS[kind], MEMBERS)
        if level_allows(level, person_id, viewer):
            matching.setdefault(person_id)
    ids = list(matching)
    total = len(ids)
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(page, 1), pages)
    chunk = ids[(number - 1) * PER_PAGE:number * PER_PAGE]
    by_id = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(chunk or [0])))}
    return Page(items=[by_id[i] for i in chunk if i in by_id], number=number, per_page=PER_PAGE, total=total)


def companies_statement(session: Session, filters: Filters) -> Select | None:
    """Companies matching the filters in a stable order (None when the tag does not exist)."""
    stmt = select(Company)
    if filters.q:
        stmt = stmt.where(func.lower(Company.name).like(_like(filters.q), escape="\\"))
    if filters.industry:
        stmt = stmt.where(Company.industry == filters.industry)
    if filters.region:
        stmt = stmt.where(Company.region == filters.region)
    if filters.partner_type:
        stmt = stmt.where(Company.partner_type == filters.partner_type)
    if filters.tag:
        tag = find_tag(session, filters.tag)
        if tag is None:
            return None
        stmt = stmt.where(Company.id.in_(select(CompanyTag.company_id).where(CompanyTag.tag_id == tag.id)))
    return stmt.order_by(func.lower(Company.name), Company.id)


def search_companies(session: Session, filters: Filters, page: int = 1) -> Page:
    stmt = companies_statement(session, filters)
    if stmt is None:
        return _empty_page()
    return paginate(session, stmt, page, PER_PAGE)


def member_counts(session: Session, company_ids: list[int]) -> dict[int, int]:
    """Active members per company."""
    if not company_ids:
        return {}
    rows = session.execute(select(Person.company_id, func.count()).where(
        Person.company_id.in_(company_ids), Person.membership_status == "active").group_by(Person.company_id))
    return dict(rows.all())
