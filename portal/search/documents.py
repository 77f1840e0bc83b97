"""What the search index holds: one flat document per thread, reply, person and company.

Access is part of the document. Forum documents carry the scope of their category
("public", "members", "group:<id>"); person documents split the profile text by the
visibility level of each field, so that a backend can match (and snippet) hidden fields only
for viewers allowed to see them.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.companies.models import PARTNER_TYPES, Company
from portal.companies.services import company_tags
from portal.forums.access import category_scope
from portal.forums.models import Category, Post, Thread
from portal.forums.services import thread_tags
from portal.profiles.models import CONNECTIONS, MEMBERS, PUBLIC, TAG_KIND_FIELDS, Person
from portal.profiles.services import person_tags

THREAD, POST, PERSON, COMPANY = "thread", "post", "person", "company"
KINDS = {THREAD: "Threads", POST: "Replies", PERSON: "People", COMPANY: "Companies"}
LEVELS = (PUBLIC, MEMBERS, CONNECTIONS)


@dataclass
class SearchDocument:
    doc_id: str  # "<kind>:<id>"
    kind: str
    title: str
    url: str
    created_at: datetime
    scope: str = PUBLIC
    # Text by visibility level: forum and company text is all in PUBLIC (the scope guards it).
    text: dict[str, str] = field(default_factory=lambda: {level: "" for level in LEVELS})
    tags: list[str] = field(default_factory=list)  # display names, searched with stemming
    tag_keys: list[str] = field(default_factory=list)  # normalized keys, for the tag filter
    context: str = ""  # shown with the result (the thread title of a reply)
    category_id: int | None = None
    company_id: int | None = None
    owner_id: int | None = None  # the person a profile belongs to, or the author


def plain_text(fragment: str) -> str:
    """Readable text of sanitized HTML (entities decoded, tags dropped)."""
    return " ".join(html.unescape(nh3.clean(fragment or "", tags=set())).split())


def doc_id(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


def parse_doc_id(value: str) -> tuple[str, int]:
    kind, _, ident = value.partition(":")
    return kind, int(ident)


# --- forum content ----------------------------------------------------------------------

def _author_companies(session: Session, author_ids: set[int]) -> dict[int, int | None]:
    if not author_ids:
        return {}
    rows = session.execute(select(Person.id, Person.company_id, Person.membership_status)
                           .where(Person.id.in_(author_ids)))
    return {pid: (cid if status == "active" else None) for pid, cid, status in rows}


def forum_documents(session: Session, threads: list[Thread], posts: list[Post]) -> list[SearchDocument]:
    """Documents for these threads (title + opening post) and replies; hidden or deleted ones are left out."""
    thread_ids = {t.id for t in threads} | {p.thread_id for p in posts}
    by_id = {t.id: t for t in session.scalars(select(Thread).where(Thread.id.in_(thread_ids)))} if thread_ids else {}
    categories = {c.id: c for c in session.scalars(select(Category).where(
        Category.id.in_({t.category_id for t in by_id.values()})))} if by_id else {}
    tags = thread_tags(session, by_id.keys())
    openings = {p.thread_id: p for p in session.scalars(select(Post).where(
        Post.thread_id.in_([t.id for t in threads]), Post.number == 1))} if threads else {}
    companies = _author_companies(session, {t.author_id for t in threads if t.author_id}
                                  | {p.author_id for p in posts if p.author_id})
    docs = []
    for thread in threads:
        opening = openings.get(thread.id)
        if thread.deleted_at is not None or opening is None:
            continue
        docs.append(_forum_doc(THREAD, thread.id, thread, categories[thread.category_id], tags[thread.id],
                               opening if opening.is_visible else None, companies, title=thread.title,
                               url=f"/forums/t/{thread.id}/{thread.slug}"))
    for post in posts:
        thread = by_id.get(post.thread_id)
        if post.number == 1 or not post.is_visible or thread is None or thread.deleted_at is not None:
            continue
        docs.append(_forum_doc(POST, post.id, thread, categories[thread.category_id], tags[thread.id], post,
                               companies, title="", url=f"/forums/p/{post.id}", context=thread.title))
    return docs


def _forum_doc(kind, ident, thread, category, tags, post, companies, *, title, url, context="") -> SearchDocument:
    author_id = post.author_id if post is not None else thread.author_id
    return SearchDocument(
        doc_id=doc_id(kind, ident), kind=kind, title=title, url=url, context=context,
        created_at=post.created_at if (post is not None and kind == POST) else thread.created_at,
        scope=category_scope(category), text={PUBLIC: plain_text(post.body_html) if post else "",
                                              MEMBERS: "", CONNECTIONS: ""},
        tags=[t.name for t in tags], tag_keys=[t.key for t in tags], category_id=category.id,
        company_id=companies.get(author_id), owner_id=author_id)


# --- people and companies ---------------------------------------------------------------

_PERSON_TEXT_FIELDS = ("headline", "job_title", "location", "bio")


def person_documents(session: Session, persons: list[Person]) -> list[SearchDocument]:
    """One document per profile, its text split by each field's visibility level.

    Suspended members stay findable: suspension stops their logins, not their profile page,
    and search finds what the site shows (each field still by its level). Only an active
    company membership counts for the company filter.
    """
    tags = person_tags(session, [p.id for p in persons])
    docs = []
    for person in persons:
        levels = person.visibility or {}
        text: dict[str, list[str]] = {level: [] for level in LEVELS}
        for name in _PERSON_TEXT_FIELDS:
            value = getattr(person, name) or ""
            if name == "bio":
                value = plain_text(_render(value))
            text[levels.get(name, MEMBERS)].append(value)
        public_tags = []
        for kind, field_name in TAG_KIND_FIELDS.items():
            level = levels.get(field_name, MEMBERS)
            names = [t.name for t in tags[person.id][kind]]
            text[level].append(" ".join(names))
            if level == PUBLIC:
                public_tags.extend(tags[person.id][kind])
        docs.append(SearchDocument(
            doc_id=doc_id(PERSON, person.id), kind=PERSON, title=person.name, url=f"/people/{person.slug}",
            created_at=person.created_at,
            text={level: " ".join(v for v in values if v) for level, values in text.items()},
            tags=[t.name for t in public_tags], tag_keys=sorted({t.key for t in public_tags}),
            company_id=person.company_id if person.membership_status == "active" else None, owner_id=person.id))
    return docs


def company_documents(session: Session, companies: list[Company]) -> list[SearchDocument]:
    tags = company_tags(session, [c.id for c in companies])
    docs = []
    for company in companies:
        own = tags[company.id]["offer"] + tags[company.id]["need"]
        body = " ".join(v for v in (plain_text(_render(company.description)), company.industry, company.region,
                                    PARTNER_TYPES.get(company.partner_type, "")) if v)
        docs.append(SearchDocument(
            doc_id=doc_id(COMPANY, company.id), kind=COMPANY, title=company.name, url=f"/companies/{company.slug}",
            created_at=company.created_at, text={PUBLIC: body, MEMBERS: "", CONNECTIONS: ""},
            tags=[t.name for t in own], tag_keys=sorted({t.key for t in own}), company_id=company.id))
    return docs


def _render(markdown_text: str) -> str:
    from portal.markdown import render_markdown

    return str(render_markdown(markdown_text or ""))


# --- lookups by id, and everything in batches (reindex) --------------------------------------

def documents_for(session: Session, doc_ids: list[str]) -> tuple[list[SearchDocument], list[str]]:
    """Fresh documents for these ids, and the ids that should no longer be in the index."""
    wanted: dict[str, list[int]] = {THREAD: [], POST: [], PERSON: [], COMPANY: []}
    for value in doc_ids:
        kind, ident = parse_doc_id(value)
        wanted[kind].append(ident)
    docs: list[SearchDocument] = []
    if wanted[THREAD] or wanted[POST]:
        threads = list(session.scalars(select(Thread).where(Thread.id.in_(wanted[THREAD])))) if wanted[THREAD] else []
        posts = list(session.scalars(select(Post).where(Post.id.in_(wanted[POST])))) if wanted[POST] else []
        docs += forum_documents(session, threads, posts)
    if wanted[PERSON]:
        docs += person_documents(session, list(session.scalars(select(Person).where(Person.id.in_(wanted[PERSON])))))
    if wanted[COMPANY]:
        docs += company_documents(session, list(session.scalars(
            select(Company).where(Company.id.in_(wanted[COMPANY])))))
    found = {d.doc_id for d in docs}
    return docs, [value for value in doc_ids if value not in found]


def all_documents(session: Session, batch: int = 2000) -> Iterator[SearchDocument]:
    """Every document, read in batches so that a large forum never sits in memory at once."""
    for model, build in ((Company, company_documents), (Person, person_documents)):
        last = 0
        while True:
            rows = list(session.scalars(select(model).where(model.id > last).order_by(model.id).limit(batch)))
            if not rows:
                break
            yield from build(session, rows)
            last = rows[-1].id
    last = 0
    while True:
        threads = list(session.scalars(select(Thread).where(Thread.id > last).order_by(Thread.id).limit(batch)))
        if not threads:
            break
        yield from forum_documents(session, threads, [])
        last = threads[-1].id
    last = 0
    while True:
        posts = list(session.scalars(select(Post).where(Post.id > last, Post.number > 1)
                                     .order_by(Post.id).limit(batch * 2)))
        if not posts:
            break
        yield from forum_documents(session, [], posts)
        last = posts[-1].id
        session.expunge_all()  # keep memory flat on 100k posts
