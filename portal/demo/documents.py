"""Company documents for the demo ecosystem: a few documents with versions for the companies of
the printed members, the ecosystem owner and some others, so that company pages, feeds and the
document pages have something to show after `portal demo`.

Everything goes through the documents services as a company admin would: links, and small
generated CSV and text files received by the real store (the same checks as an upload). Each
version gets a date in the last months.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.companies.lookup import company_admins, company_by_id
from portal.companies.services import company_by_external_id
from portal.demo.generator import OWNER_ID
from portal.documents import services as documents
from portal.documents.storage import DocumentStore
from portal.profiles.services import person_by_email, person_by_external_id

OTHER_COMPANIES = 6  # besides the owner's and the printed members' companies
HISTORY_DAYS = 150
PRODUCTS = ("Connector licence", "Support plan", "Onboarding workshop", "Data migration", "Training day",
            "Integration kit", "Managed hosting", "API add-on")


def _price_list(rng: random.Random, version: int) -> bytes:
    lines = ["product,unit,price_eur"]
    for product in rng.sample(PRODUCTS, 5):
        price = rng.randrange(200, 9000) * (1 + version / 20)
        lines.append(f"{product},{rng.choice(('year', 'day', 'unit'))},{price:.2f}")
    return ("\n".join(lines) + "\n").encode()


def _checklist(company_name: str) -> bytes:
    steps = ["Agree the scope and the contacts on both sides", "Exchange test credentials",
             "Map the data fields", "Run the pilot with one customer", "Review the results together"]
    return (f"Implementation checklist - {company_name}\n\n"
            + "\n".join(f"{n}. {step}" for n, step in enumerate(steps, start=1)) + "\n").encode()


def _slug_url(company_slug: str, path: str) -> str:
    return f"https://{company_slug}.example.com/{path}"


def _companies(session: Session, plan, result) -> list[int]:
    ids: list[int] = []
    owner = company_by_external_id(session, OWNER_ID)
    if owner is not None:
        ids.append(owner.id)
    for account in result.members:
        person = person_by_email(session, account.email)
        if person is not None and person.company_id is not None:
            ids.append(person.company_id)
    for external_id in plan.company_admins:
        person = person_by_external_id(session, external_id)
        if person is not None and person.company_id is not None:
            ids.append(person.company_id)
        if len(dict.fromkeys(ids)) >= OTHER_COMPANIES + 1 + len(result.members):
            break
    return list(dict.fromkeys(ids))


def _publish_file(session: Session, store: DocumentStore, document, admin, name: str, data: bytes,
                  note: str, when: datetime) -> None:
    received = store.receive(name, io.BytesIO(data))
    try:
        documents.publish_version(session, document, actor_person=admin, upload=received, note=note,
                                  published_at=when)
    finally:
        received.discard()


def build_documents(session: Session, plan, result, store: DocumentStore, *, now: datetime,
                    seed: int) -> dict[str, Counter]:
    """Create the demo's documents (flushes, never commits). Returns counts by visibility and kind."""
    rng = random.Random(f"documents-{seed}")
    made: Counter = Counter()
    versions: Counter = Counter()
    for company_id in _companies(session, plan, result):
        admins = company_admins(session, company_id)
        company = company_by_id(session, company_id)
        if not admins or company is None:
            continue
        admin = admins[0]
        start = now - timedelta(days=rng.randrange(60, HISTORY_DAYS))

        def day(offset: int, start=start) -> datetime:
            return min(start + timedelta(days=offset, hours=rng.randrange(8, 18)), now)

        prices = documents.create_document(
            session, company_id, title="Partner price list", visibility="partners", actor_person=admin,
            description="Prices for partners reselling our services. Questions go to the partner team.")
        for number in range(1, rng.randrange(2, 4) + 1):
            _publish_file(session, store, prices, admin, f"price-list-v{number}.csv", _price_list(rng, number),
                          "First price list of the year." if number == 1 else "Prices updated.",
                          day(20 * number))
            versions["file"] += 1
        guide = documents.create_document(
            session, company_id, title="Partner programme guide", visibility="members", actor_person=admin,
            description=f"How to work with **{company.name}**: programme levels, co-selling and support.")
        for number, path in enumerate(("partner-guide", "partner-guide-2026"), start=1):
            documents.publish_version(session, guide, actor_person=admin, link=_slug_url(company.slug, path),
                                      note="" if number == 1 else "New levels and benefits.",
                                      published_at=day(10 + 35 * number))
            versions["link"] += 1
        checklist = documents.create_document(
            session, company_id, title="Implementation checklist", visibility="members", actor_person=admin)
        _publish_file(session, store, checklist, admin, "implementation-checklist.txt", _checklist(company.name),
                      "", day(5))
        versions["file"] += 1
        margins = documents.create_document(
            session, company_id, title="Margin calculator", visibility="staff", actor_person=admin,
            description="For our own team only.")
        documents.publish_version(session, margins, actor_person=admin,
                                  link=_slug_url(company.slug, "internal/margins"), published_at=day(3))
        versions["link"] += 1
        for document in (prices, guide, checklist, margins):  # created when first published, not today
            document.created_at = min(v.created_at for v in documents.versions_of(session, document))
        made.update({"partners": 1, "members": 2, "staff": 1})
    return {"documents": made, "document versions": versions}
