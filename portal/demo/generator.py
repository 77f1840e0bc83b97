"""A deterministic, realistic demo ecosystem built from the word lists in `data`.

`plan_ecosystem` only computes (same seed and date → same records); `build_ecosystem` stores the
plan through the interchange importer (so the demo is exactly what an import could produce) and
then sets what the format does not carry: regions, visibility, company admins, pending members
and a few login accounts.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from portal.demo import bulk, data
from portal.demo.forums import build_private_group, plan_forum
from portal.text import slugify

OWNER_ID = "demo-owner"
OWNER_NAME = "PartnerMesh Platform Inc."
OWNER_DOMAIN = "partnermesh.example"
STAFF_SIZE = {"1-10": 1, "11-50": 2, "51-200": 3.5, "201-1000": 5, "1001-5000": 7, "5000+": 9}
ALL_PUBLIC = {name: "public" for name in ("headline", "bio", "location", "job_title", "email", "skills",
                                          "interests", "offers", "needs", "links")}
PRIVATE_ISH = {"bio": "members", "email": "connections", "interests": "members", "needs": "members",
               "skills": "members", "location": "members", "links": "connections"}
CONNECTIONS_ONLY = {"bio": "connections", "email": "connections", "interests": "connections",
                    "needs": "connections", "location": "connections", "links": "connections", "offers": "members"}


@dataclass
class DemoPlan:
    """Everything the demo will store, as interchange records plus what the format lacks."""

    records: list[dict[str, Any]] = field(default_factory=list)
    regions: dict[str, str] = field(default_factory=dict)  # person id → region
    visibility: dict[str, dict[str, str]] = field(default_factory=dict)  # person id → changed levels
    company_admins: list[str] = field(default_factory=list)  # person ids
    pending: list[str] = field(default_factory=list)  # person ids whose membership is only requested
    ecosystem_admin: str = ""
    members_with_accounts: list[str] = field(default_factory=list)
    emails: dict[str, str] = field(default_factory=dict)  # person id → email


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class _Vocabulary:
    """Capabilities drawn with a Zipf-like skew (rank r has weight 1/r), boosted per industry."""

    def __init__(self) -> None:
        self.names = list(data.CAPABILITIES)
        self.base = {name: 1.0 / (rank + 1) for rank, name in enumerate(self.names)}

    def sample(self, rng: random.Random, k: int, *, industry: str | None = None,
               exclude: set[str] = frozenset()) -> list[str]:
        boost = set(data.INDUSTRY_AFFINITY.get(industry or "", ()))
        # Weighted sampling without replacement (Efraimidis–Spirakis keys).
        keyed = []
        for name in self.names:
            if name in exclude:
                continue
            weight = self.base[name] * (8.0 if name in boost else 1.0)
            keyed.append((rng.random() ** (1.0 / weight), name))
        keyed.sort(reverse=True)
        return [name for _, name in keyed[:k]]


def _email_local(first: str, last: str) -> str:
    return f"{slugify(first, 30)}.{slugify(last, 30)}".replace("-", "")


def _company_name(rng: random.Random, industry: str, partner_type: str, legal_forms: tuple[str, ...],
                  used: set[str]) -> tuple[str, str]:
    """(display name, base name for domains): "Brightpath Analytics B.V.", "brightpath-analytics"."""
    while True:
        stem = rng.choice(data.NAME_PREFIXES) + rng.choice(data.NAME_SUFFIXES)
        nouns = data.NAME_NOUNS[industry] if rng.random() < 0.6 else data.PARTNER_TYPE_NOUNS[partner_type]
        base = f"{stem} {rng.choice(nouns)}"
        if base not in used:
            used.add(base)
            break
    name = f"{base} {rng.choice(legal_forms)}" if rng.random() < 0.45 else base
    return name, slugify(base, 50)


def _describe(rng: random.Random, company: dict, city: str, region: str) -> str:
    offers = company.get("offers") or ["software"]
    needs = company.get("needs") or ["new customers"]
    values = {"name": company["name"], "industry_lower": company["industry"].lower(), "offer": offers[0],
              "region": region, "city": city, "year": rng.randint(1985, 2022), "size": company["size"],
              "need": needs[0], "need2": needs[-1]}
    sentences = [data.COMPANY_INTROS[company["partner_type"]], rng.choice(data.COMPANY_MIDDLES),
                 rng.choice(data.COMPANY_CLOSINGS)]
    return " ".join(s.format(**values) for s in sentences)


def _plan_companies(rng: random.Random, vocab: _Vocabulary, count: int) -> list[dict]:
    companies: list[dict] = []
    used: set[str] = set()
    owner = {"kind": "company", "id": OWNER_ID, "name": OWNER_NAME, "industry": "Software",
             "region": "Western Europe", "size": "51-200", "partner_type": "other",
             "offers": ["partner programme", "co-selling", "marketplace listings"],
             "needs": vocab.sample(rng, 3, industry="Software"), "website": f"https://www.{OWNER_DOMAIN}",
             "email_domains": [OWNER_DOMAIN], "_city": "Amsterdam"}
    owner["description"] = ("PartnerMesh Platform Inc. runs this partner ecosystem. Its team keeps the portal "
                            "open, welcomes new partners and connects companies whose offers meet each other's "
                            "needs. Questions about the programme go to the ecosystem admins.")
    companies.append(owner)
    regions = {name: spec[0] for name, spec in data.REGIONS.items()}
    for number in range(1, count):
        industry = _weighted(rng, data.INDUSTRY_WEIGHTS)
        partner_type = _weighted(rng, data.PARTNER_TYPE_WEIGHTS)
        region = _weighted(rng, regions)
        _, cities, legal_forms = data.REGIONS[region]
        name, base = _company_name(rng, industry, partner_type, legal_forms, used)
        offers = vocab.sample(rng, rng.randint(3, 7), industry=industry)
        needs = vocab.sample(rng, rng.randint(2, 5), industry=industry, exclude=set(offers))
        company = {"kind": "company", "id": f"demo-c{number:03d}", "name": name, "industry": industry,
                   "region": region, "size": _weighted(rng, data.SIZE_WEIGHTS), "partner_type": partner_type,
                   "offers": offers, "needs": needs, "website": f"https://www.{base}.example",
                   "email_domains": [f"{base}.example"], "_city": rng.choice(cities)}
        company["description"] = _describe(rng, company, company["_city"], region)
        companies.append(company)
    return companies


def _person_name(rng: random.Random, region: str | None) -> tuple[str, str]:
    pools = data.REGION_NAME_POOLS.get(region or "", ())
    pool = rng.choice(pools) if pools and rng.random() < 0.8 else rng.choice(sorted(data.FIRST_NAMES))
    last_pool = pool if rng.random() < 0.9 else rng.choice(sorted(data.LAST_NAMES))
    return rng.choice(data.FIRST_NAMES[pool]), rng.choice(data.LAST_NAMES[last_pool])


def _title(rng: random.Random, leader: bool) -> str:
    if leader:
        return rng.choice(data.JOB_TITLES["leadership"])
    group = _weighted(rng, {"technical": 45, "business": 35, "support": 10, "leadership": 10})
    return rng.choice(data.JOB_TITLES[group])


def _texts(rng: random.Random, person: dict, company: dict | None, region: str) -> None:
    skills = person.get("skills") or ["consulting"]
    values = {
        "title": person["job_title"], "company": company["name"] if company else "my own practice",
        "industry": (company or {}).get("industry", "technology").lower(),
        "offer": (person.get("offers") or skills)[0], "need": (person.get("needs") or skills)[-1],
        "skill": next((s for s in skills if s != (person.get("offers") or skills)[0]), skills[0]),
        "skill2": skills[-1], "interest": (person.get("interests") or skills)[0],
        "region": region, "years": rng.randint(3, 25),
    }
    person["headline"] = rng.choice(data.HEADLINE_TEMPLATES).format(**values)[:160]
    if rng.random() < 0.85:
        bio = [rng.choice(data.BIO_OPENINGS), rng.choice(data.BIO_MIDDLES)]
        asks = rng.sample(data.BIO_ASKS, rng.randint(1, 2))
        person["bio"] = (" ".join(bio) + "\n\n" + "\n".join(f"- {ask}" for ask in asks)).format(**values)


def _plan_people(rng: random.Random, vocab: _Vocabulary, companies: list[dict], count: int, now: datetime,
                 plan: DemoPlan) -> list[dict]:
    people: list[dict] = []
    weights = {c["id"]: STAFF_SIZE[c["size"]] for c in companies}
    weights[OWNER_ID] = 2.0
    # Everyone's employer: each company gets someone first, then by size; a few are independent.
    employers: list[str | None] = [c["id"] for c in companies][:count]
    while len(employers) < count:
        employers.append(None if rng.random() < 0.04 else _weighted(rng, weights))
    employers[1:] = rng.sample(employers[1:], len(employers) - 1)  # the owner's admin stays first
    by_id = {c["id"]: c for c in companies}
    emails: set[str] = set()
    seen_company: dict[str, int] = {}
    for number, employer in enumerate(employers, start=1):
        company = by_id.get(employer) if employer else None
        home_region = company["region"] if company else _weighted(rng, {r: s[0] for r, s in data.REGIONS.items()})
        region = home_region if rng.random() < 0.85 else rng.choice(sorted(data.REGIONS))
        first, last = _person_name(rng, region)
        person_id = f"demo-p{number:04d}"
        rank = seen_company.get(employer or "", 0)
        seen_company[employer or ""] = rank + 1
        local = _email_local(first, last)
        domain = company["email_domains"][0] if company else "independent.example"
        email, n = f"{local}@{domain}", 1
        while email in emails:
            n += 1
            email = f"{local}{n}@{domain}"
        emails.add(email)
        created = now - timedelta(seconds=rng.randint(0, 730 * 86400))
        if number == 1:
            created = now - timedelta(days=730)
        person: dict[str, Any] = {"kind": "person", "id": person_id, "name": f"{first} {last}", "email": email}
        if company:
            person["company"] = company["id"]
        person["job_title"] = ("Ecosystem Manager" if number == 1 else _title(rng, leader=rank == 0))
        person["location"] = rng.choice(data.REGIONS[region][1])
        base_offers = (company or {}).get("offers", [])
        base_needs = (company or {}).get("needs", [])
        industry = (company or {}).get("industry")
        own = rng.sample(base_offers, min(len(base_offers), rng.randint(1, 4)))
        person["skills"] = own + vocab.sample(rng, rng.randint(1, 2), industry=industry, exclude=set(own))
        person["interests"] = vocab.sample(rng, rng.randint(1, 4), exclude=set(person["skills"]))
        person["offers"] = rng.sample(base_offers, min(len(base_offers), rng.randint(0, 3))) if company else \
            vocab.sample(rng, 2)
        person["needs"] = rng.sample(base_needs, min(len(base_needs), rng.randint(0, 2)))
        for key in ("offers", "needs"):
            if not person[key]:
                del person[key]
        _texts(rng, person, company, region)
        person["created_at"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        person["_created"] = created
        people.append(person)
        plan.regions[person_id] = region
        plan.emails[person_id] = email
        roll = rng.random()
        if roll < 0.18:
            plan.visibility[person_id] = dict(ALL_PUBLIC)
        elif roll < 0.26:
            plan.visibility[person_id] = dict(PRIVATE_ISH)
        elif roll < 0.30:
            plan.visibility[person_id] = dict(CONNECTIONS_ONLY)
        if company and (rank == 0 or (rank == 1 and rng.random() < 0.5)):
            plan.company_admins.append(person_id)
        elif company and rank >= 2 and rng.random() < 0.02:
            plan.pending.append(person_id)
    return people


def _plan_connections(rng: random.Random, people: list[dict], now: datetime) -> list[dict]:
    pairs: set[tuple[int, int]] = set()
    by_company: dict[str, list[int]] = {}
    for index, person in enumerate(people):
        by_company.setdefault(person.get("company", ""), []).append(index)

    def add(i: int, j: int) -> None:
        if i != j:
            pairs.add((min(i, j), max(i, j)))

    for key, members in by_company.items():
        if not key:
            continue
        chance = min(1.0, 5.0 / max(len(members) - 1, 1))
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                if rng.random() < chance:
                    add(i, j)
    # Across companies: some people are hubs (a skewed "activity"), most have a few links.
    activity = [1.0 / (rank + 1) ** 0.7 for rank in range(len(people))]
    rng.shuffle(activity)
    indices = list(range(len(people)))
    for i in indices:
        for j in rng.choices(indices, weights=activity, k=rng.randint(0, 6)):
            add(i, j)
    # The ecosystem admin knows many people.
    for j in rng.sample(indices, min(len(indices), max(10, len(indices) // 12))):
        add(0, j)
    connections = []
    for i, j in sorted(pairs):
        start = max(people[i]["_created"], people[j]["_created"])
        span = max(int((now - start).total_seconds()), 0)
        created = start + timedelta(seconds=rng.randint(0, span))
        connections.append({"kind": "connection", "a": people[i]["id"], "b": people[j]["id"],
                            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return connections


def plan_ecosystem(seed: int = 42, companies: int = 160, people: int = 850, *, now: datetime) -> DemoPlan:
    """Compute the demo ecosystem; the same seed and `now` give the same plan."""
    if companies < 1 or people < 1:
        raise ValueError("the demo needs at least one company and one person")
    rng = random.Random(seed)
    vocab = _Vocabulary()
    plan = DemoPlan()
    company_records = _plan_companies(rng, vocab, companies)
    person_records = _plan_people(rng, vocab, company_records, people, now, plan)
    connection_records = _plan_connections(rng, person_records, now)
    forum_records = plan_forum(rng, person_records, {c["id"]: c for c in company_records}, now)
    plan.ecosystem_admin = person_records[0]["id"]
    candidates = [p["id"] for p in person_records[1:] if p.get("company") and p["id"] not in plan.pending]
    plan.members_with_accounts = candidates[:5]
    for record in company_records + person_records:
        for key in [k for k in record if k.startswith("_")]:
            del record[key]
    plan.records = company_records + person_records + connection_records + forum_records
    return plan


@dataclass
class DemoAccount:
    email: str
    password: str
    name: str
    role: str


@dataclass
class DemoResult:
    counts: dict[str, Any]
    admin: DemoAccount
    members: list[DemoAccount]


def build_ecosystem(session: Session, plan: DemoPlan) -> DemoResult:
    """Store the plan in the session's transaction (flushes, never commits)."""
    from portal.auth.models import ROLE_ECOSYSTEM_ADMIN, ROLE_MEMBER
    from portal.auth.services import register_account
    from portal.companies.models import Company
    from portal.interchange import import_records, validate_objects
    from portal.profiles.models import Person
    from portal.profiles.services import set_company_membership, update_person_fields

    records, errors, _warnings = validate_objects(enumerate(plan.records, start=1), session=session, name="demo")
    if errors:
        raise RuntimeError("the demo plan is invalid: " + "; ".join(str(e) for e in errors[:5]))
    # Tags and connections go in bulk (portal.demo.bulk); everything else through the importer.
    tag_fields = {"company": {"offers": "offer", "needs": "need"},
                  "person": {"skills": "skill", "interests": "interest", "offers": "offer", "needs": "need"}}
    tags: dict[tuple[str, str], dict[str, list[str]]] = {}
    for record in records:
        for field_name, kind in tag_fields.get(record.kind, {}).items():
            tags.setdefault((record.kind, record.id), {})[kind] = record.data.pop(field_name, [])
    counts = import_records(session, [r for r in records if r.kind != "connection"])
    person_ids = [record.id for record in records if record.kind == "person"]
    found = bulk.by_external_id(session, Person, person_ids)
    people = {person_id: found[person_id] for person_id in person_ids}  # in the plan's order
    companies = bulk.by_external_id(session, Company, [record.id for record in records if record.kind == "company"])
    ids = bulk.tag_ids(session, [name for kinds in tags.values() for names in kinds.values() for name in names])
    bulk.insert_company_tags(session, {companies[key].id: kinds for (kind, key), kinds in tags.items()
                                       if kind == "company"}, ids)
    bulk.insert_person_tags(session, {people[key].id: kinds for (kind, key), kinds in tags.items()
                                      if kind == "person"}, ids)
    connections = [r for r in records if r.kind == "connection"]
    counts["connection"] = Counter(created=bulk.insert_connections(session, [
        (people[r.data["a"]].id, people[r.data["b"]].id, r.data.get("created_at")) for r in connections]))
    for person_id, person in people.items():
        extra: dict[str, Any] = {"region": plan.regions.get(person_id, "")}
        if person_id in plan.visibility:
            extra["visibility"] = plan.visibility[person_id]
        update_person_fields(session, person, **extra)
    for person_id in plan.company_admins:
        person = people[person_id]
        set_company_membership(session, person, person.company_id, role="admin")
    for person_id in plan.pending:
        person = people[person_id]
        set_company_membership(session, person, person.company_id, status="pending")

    def account(person_id: str, role: str) -> DemoAccount:
        password = secrets.token_urlsafe(12)
        person = people[person_id]
        register_account(session, person.name, plan.emails[person_id], password, verified=True, role=role)
        return DemoAccount(email=plan.emails[person_id], password=password, name=person.name, role=role)

    admin = account(plan.ecosystem_admin, ROLE_ECOSYSTEM_ADMIN)
    members = [account(person_id, ROLE_MEMBER) for person_id in plan.members_with_accounts]
    build_private_group(session, people[plan.ecosystem_admin],
                        [people[person_id] for person_id in plan.members_with_accounts[:3]])
    return DemoResult(counts=counts, admin=admin, members=members)
