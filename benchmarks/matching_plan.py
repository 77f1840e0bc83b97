"""Rows for benchmarks/matching_data.py: companies, people, accounts, tags and connections
(the forum is planned in matching_forum_plan.py), and the matching graph's edge count.

Everything is computed in memory as plain dicts, table by table, with ids chosen here so that
rows can point at each other without reading ids back from the database.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from matching_forum_plan import plan_forum

from portal.demo import data
from portal.demo.generator import OWNER_DOMAIN, OWNER_ID, OWNER_NAME
from portal.profiles.models import DEFAULT_VISIBILITY
from portal.tags.services import normalize_tag_key
from portal.text import slugify

# Variants of each capability: the vocabulary grows to a few thousand tags (what people type).
QUALIFIERS = (
    "consulting", "migration", "support", "training", "integration", "audits", "strategy", "implementation",
    "managed services", "development", "architecture", "optimisation", "operations", "analytics", "security",
    "compliance", "licensing", "resale", "for SMEs", "for enterprises", "for public sector", "for retail",
    "for manufacturing", "for logistics", "for healthcare", "in the cloud", "on premises",
)
VISIBILITY_MIXES = (  # (share, changes to the default levels)
    (0.55, {}),
    (0.20, {name: "public" for name in DEFAULT_VISIBILITY}),
    (0.15, {"skills": "members", "offers": "members", "interests": "members", "needs": "members"}),
    (0.10, {"skills": "connections", "interests": "connections", "offers": "members", "needs": "connections"}),
)


class Zipf:
    """Draw items by rank r with weight 1/(r+1)^exponent (item 0 is the most popular)."""

    def __init__(self, items: list, exponent: float = 1.0) -> None:
        self.items = list(items)
        self.cum = list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(len(self.items))))

    def draw(self, rng: random.Random):
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Plan:
    now: datetime
    rows: dict[str, list[dict]] = field(default_factory=dict)
    shape: dict[str, object] = field(default_factory=dict)
    owner_company_id: int = 1
    # person id → company id (active members only), profile tags, connections: for the forum and the edges
    company_of: dict[int, int] = field(default_factory=dict)
    person_tags: dict[int, list[int]] = field(default_factory=dict)
    adjacency: dict[int, list[int]] = field(default_factory=dict)
    # filled by the forum plan: (low, high) person pairs that interacted, (person, tag) of what they wrote
    interaction_pairs: set[tuple[int, int]] = field(default_factory=set)
    topic_pairs: set[tuple[int, int]] = field(default_factory=set)


def weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def plan_tags(plan: Plan, rng: random.Random, people: int) -> tuple[Zipf, dict[str, Zipf]]:
    """The vocabulary (global Zipf) and, per industry, the tags it leans towards."""
    size = min(3000, max(150, people // 8))
    base = list(data.CAPABILITIES)
    variants = [f"{cap} {q}" for cap in base for q in QUALIFIERS if len(cap) + len(q) < 63]
    rng.shuffle(variants)
    names, keys = [], set()
    for name in base + variants:
        key = normalize_tag_key(name)
        if key and key not in keys:
            keys.add(key)
            names.append((key, name))
        if len(names) == size:
            break
    created = plan.now - timedelta(days=1100)
    plan.rows["tags"] = [{"id": i, "key": key, "name": name, "created_at": created}
                         for i, (key, name) in enumerate(names, start=1)]
    ids = {name: i for i, (_, name) in enumerate(names, start=1)}
    vocabulary = Zipf(list(ids.values()), 1.0)
    by_industry = {}
    for industry, caps in data.INDUSTRY_AFFINITY.items():
        lean = [ids[c] for c in caps if c in ids] + [i for name, i in ids.items() if name.split(" ")[0] in caps]
        by_industry[industry] = Zipf(sorted(set(lean)), 0.8)
    return vocabulary, by_industry


def _draw_tags(rng: random.Random, count: int, sources: list[tuple[float, object]]) -> list[int]:
    """`count` distinct tags, each from the first source whose share the roll falls under."""
    out: list[int] = []
    for _ in range(count * 3):
        if len(out) == count:
            break
        roll = rng.random()
        for share, source in sources:
            if roll < share:
                tag = source.draw(rng) if isinstance(source, Zipf) else (rng.choice(source) if source else None)
                if tag is not None and tag not in out:
                    out.append(tag)
                break
    return out


def plan_companies(plan: Plan, rng: random.Random, count: int, vocabulary: Zipf,
                   by_industry: dict[str, Zipf]) -> tuple[list[dict], list[float]]:
    """Company rows with offers and needs; returns the rows and each company's size weight."""
    regions = {name: spec[0] for name, spec in data.REGIONS.items()}
    rows, tag_rows, weights = [], [], []
    for cid in range(1, count + 1):
        if cid == plan.owner_company_id:
            name, industry, region, partner_type, size = OWNER_NAME, "Software", "Western Europe", "other", "51-200"
        else:
            industry, region = weighted(rng, data.INDUSTRY_WEIGHTS), weighted(rng, regions)
            partner_type, size = weighted(rng, data.PARTNER_TYPE_WEIGHTS), weighted(rng, data.SIZE_WEIGHTS)
            noun = rng.choice(data.NAME_NOUNS[industry] + data.PARTNER_TYPE_NOUNS[partner_type])
            name = f"{rng.choice(data.NAME_PREFIXES)}{rng.choice(data.NAME_SUFFIXES)} {noun}"
        slug = f"{slugify(name, 100)}-{cid}"
        created = plan.now - timedelta(days=rng.uniform(400, 1100))
        rows.append({"id": cid, "external_id": OWNER_ID if cid == plan.owner_company_id else f"bench-c{cid}",
                     "slug": slug, "name": name, "description": f"{name} is a partner in the ecosystem.",
                     "website": f"https://www.{slug}.example", "industry": industry, "region": region,
                     "size": size, "partner_type": partner_type,
                     "verified_at": created + timedelta(days=3) if rng.random() < 0.6 else None,
                     "created_at": created, "updated_at": created})
        lean = by_industry.get(industry, vocabulary)
        offers = _draw_tags(rng, rng.randint(1, 5), [(0.6, lean), (1.0, vocabulary)])
        needs = [t for t in _draw_tags(rng, rng.randint(0, 3), [(0.3, lean), (1.0, vocabulary)]) if t not in offers]
        tag_rows += [{"company_id": cid, "tag_id": t, "kind": "offer", "position": k} for k, t in enumerate(offers)]
        tag_rows += [{"company_id": cid, "tag_id": t, "kind": "need", "position": k} for k, t in enumerate(needs)]
        # Members on the platform: Pareto-distributed (a few companies with hundreds or thousands).
        weights.append(2.0 if cid == plan.owner_company_id else min(2000.0, rng.paretovariate(1.3)))
    plan.rows["companies"], plan.rows["company_tags"] = rows, tag_rows
    return rows, weights


def plan_people(plan: Plan, rng: random.Random, count: int, companies: list[dict], weights: list[float],
                vocabulary: Zipf, by_industry: dict[str, Zipf]) -> list[dict]:
    """Person, account and person-tag rows. The owner's first staff are the ecosystem admins."""
    cum = list(accumulate(weights))
    # Person 1 is the owner's ecosystem manager; persons 1..staff are the owner's team (a fixed share
    # of the ecosystem), then every other company gets someone, then people join by company size.
    staff_target = min(count, max(5, count // 250))
    employers: list[int | None] = [c["id"] for c in companies if c["id"] != plan.owner_company_id]
    employers = employers[:count - staff_target]
    employers += [None if rng.random() < 0.03 else companies[bisect(cum, rng.random() * cum[-1])]["id"]
                  for _ in range(count - staff_target - len(employers))]
    employers = [plan.owner_company_id] * staff_target + rng.sample(employers, len(employers))
    company_tags: dict[tuple[int, str], list[int]] = {}
    for row in plan.rows["company_tags"]:
        company_tags.setdefault((row["company_id"], row["kind"]), []).append(row["tag_id"])
    regions = {name: spec[0] for name, spec in data.REGIONS.items()}
    mixes = list(accumulate(share for share, _ in VISIBILITY_MIXES))
    people, users, tag_rows, ranks = [], [], [], {}
    for pid, cid in enumerate(employers, start=1):
        company = companies[cid - 1] if cid else None
        region = company["region"] if company and rng.random() < 0.9 else weighted(rng, regions)
        pools = data.REGION_NAME_POOLS[region]
        pool = rng.choice(pools) if rng.random() < 0.8 else rng.choice(sorted(data.FIRST_NAMES))
        first, last = rng.choice(data.FIRST_NAMES[pool]), rng.choice(data.LAST_NAMES[pool])
        name, slug = f"{first} {last}", f"{slugify(f'{first} {last}', 100)}-{pid}"
        domain = OWNER_DOMAIN if cid == plan.owner_company_id else f"{company['slug']}.example" if company \
            else "independent.example"
        rank = ranks[cid] = ranks.get(cid, -1) + 1
        status = "pending" if company and rank >= 2 and rng.random() < 0.01 else "active"
        title = "Ecosystem Manager" if pid == 1 else rng.choice(
            data.JOB_TITLES["leadership" if rank == 0 else weighted(rng, {"technical": 45, "business": 35,
                                                                          "support": 10, "leadership": 10})])
        created = plan.now - timedelta(days=rng.uniform(0, 1000) if pid > 1 else 1000)
        visibility = dict(DEFAULT_VISIBILITY)
        visibility.update(VISIBILITY_MIXES[bisect(mixes, rng.random() * mixes[-1])][1])
        user_id = None
        if pid <= staff_target or rng.random() < 0.85:  # the rest were imported and never signed up
            user_id = len(users) + 1
            users.append({"id": user_id, "email": f"{slug}@{domain}", "password_hash": "!",
                          "role": "ecosystem_admin" if pid <= 5 and cid == plan.owner_company_id else "member",
                          "email_verified_at": created if rng.random() < 0.97 or pid <= 5 else None,
                          "suspended_at": plan.now - timedelta(days=rng.uniform(1, 300))
                          if pid > staff_target and rng.random() < 0.005 else None,
                          "created_at": created, "last_login_at": None, "session_version": 1})
        people.append({"id": pid, "user_id": user_id, "external_id": f"bench-p{pid}", "slug": slug, "name": name,
                       "email": f"{slug}@{domain}", "headline": f"{title} at {company['name']}" if company else title,
                       "bio": "", "location": rng.choice(data.REGIONS[region][1]), "region": region,
                       "job_title": title, "company_id": cid, "company_role": "admin" if rank == 0 and cid else
                       "member", "membership_status": status, "avatar_file": None, "visibility": visibility,
                       "created_at": created, "updated_at": created})
        if cid and status == "active":
            plan.company_of[pid] = cid
        if rng.random() < 0.2:
            continue  # a sparse profile: no tags at all
        lean = by_industry.get(company["industry"], vocabulary) if company else vocabulary
        own_offers = company_tags.get((cid, "offer"), [])
        own_needs = company_tags.get((cid, "need"), [])
        kinds = {"skill": _draw_tags(rng, rng.randint(1, 2), [(0.45, own_offers), (0.65, lean), (1.0, vocabulary)]),
                 "interest": _draw_tags(rng, rng.randint(0, 1), [(0.3, lean), (1.0, vocabulary)]),
                 "offer": _draw_tags(rng, rng.randint(0, 2), [(0.7, own_offers), (1.0, vocabulary)]),
                 "need": _draw_tags(rng, rng.randint(0, 1), [(0.5, own_needs), (1.0, vocabulary)])}
        distinct: list[int] = []
        for kind, tags in kinds.items():
            tag_rows += [{"person_id": pid, "tag_id": t, "kind": kind, "position": k} for k, t in enumerate(tags)]
            distinct += [t for t in tags if t not in distinct]
        plan.person_tags[pid] = distinct
    plan.rows["users"], plan.rows["persons"], plan.rows["person_tags"] = users, people, tag_rows
    plan.shape["owner_staff"] = sum(1 for cid in employers if cid == plan.owner_company_id)
    plan.shape["largest_companies"] = sorted((n + 1 for n in ranks.values()), reverse=True)[:5]
    return people


def plan_connections(plan: Plan, rng: random.Random, people: list[dict]) -> None:
    """Colleagues (clustered), preferential attachment across companies (regional homophily),
    friends of friends, and the owner's staff who know many partners."""
    n = len(people)
    adjacency: dict[int, set[int]] = {p["id"]: set() for p in people}
    ends: list[int] = [p["id"] for p in people]  # each person once, plus once per edge end: "rich get richer"

    def add(a: int, b: int) -> None:
        if a != b and b not in adjacency[a]:
            adjacency[a].add(b)
            adjacency[b].add(a)
            ends.extend((a, b))

    members: dict[int, list[int]] = {}
    for pid, cid in plan.company_of.items():
        members.setdefault(cid, []).append(pid)
    for ids in members.values():
        if len(ids) <= 30:
            chance = min(1.0, 3.0 / max(len(ids) - 1, 1))
            for x, a in enumerate(ids):
                for b in ids[x + 1:]:
                    if rng.random() < chance:
                        add(a, b)
        else:  # big companies: a few colleagues each, then teams close triangles
            for a in ids:
                for b in rng.sample(ids, 3):
                    add(a, b)
    region = {p["id"]: p["region"] for p in people}
    activity = Zipf(rng.sample([p["id"] for p in people], n), 0.6)
    for _ in range(int(n * 1.0)):
        a = activity.draw(rng)
        b = ends[rng.randrange(len(ends))]
        if region[a] != region[b] and rng.random() < 0.5:
            b = ends[rng.randrange(len(ends))]  # second chance for someone nearer
        add(a, b)
    ids = [p["id"] for p in people]
    for _ in range(n // 3):
        a = ids[rng.randrange(n)]
        if adjacency[a]:
            friend = rng.choice(tuple(adjacency[a]))
            if adjacency[friend]:
                add(a, rng.choice(tuple(adjacency[friend])))
    for pid, cid in plan.company_of.items():
        if cid == plan.owner_company_id:
            for b in rng.sample(ids, min(n, 30)):
                add(pid, b)
    plan.adjacency = {a: sorted(bs) for a, bs in adjacency.items()}


def connection_rows(plan: Plan, rng: random.Random, created: dict[int, datetime]) -> list[dict]:
    rows = []
    for a, friends in plan.adjacency.items():
        for b in friends:
            if a < b:
                start = max(created[a], created[b])
                span = max((plan.now - start).total_seconds(), 0.0)
                rows.append({"person_a_id": a, "person_b_id": b,
                             "created_at": start + timedelta(seconds=rng.uniform(0, span))})
    return rows


def plan_ecosystem(people: int, *, seed: int, now: datetime) -> Plan:
    """Every row of the benchmark ecosystem (deterministic for a seed and `now`)."""
    rng = random.Random(seed)
    plan = Plan(now=now)
    vocabulary, by_industry = plan_tags(plan, rng, people)
    companies, weights = plan_companies(plan, rng, max(2, people // 6), vocabulary, by_industry)
    person_rows = plan_people(plan, rng, people, companies, weights, vocabulary, by_industry)
    plan_connections(plan, rng, person_rows)
    first_post = plan_forum(plan, rng, person_rows, vocabulary)
    # Nobody wrote before they joined: move such people's sign-up back before their first post.
    for row in person_rows:
        first = first_post.get(row["id"])
        if first is not None and first < row["created_at"]:
            row["created_at"] = row["updated_at"] = first - timedelta(days=rng.uniform(1, 30))
    created = {row["id"]: row["created_at"] for row in person_rows}
    for user, person in zip(plan.rows["users"], (p for p in person_rows if p["user_id"]), strict=True):
        user["created_at"] = person["created_at"]
        if user["email_verified_at"] is not None:
            user["email_verified_at"] = person["created_at"]
    plan.rows["connections"] = connection_rows(plan, rng, created)
    # Parents before children (foreign keys): the order in which write_plan inserts.
    # The owner company, as portal/admin/owner.py stores it (ecosystem health reads it).
    plan.rows["site_settings"] = [{"key": "ecosystem_owner_company", "value": str(plan.owner_company_id)}]
    order = ("site_settings", "tags", "companies", "company_tags", "users", "persons", "person_tags", "connections",
             "forum_groups", "forum_group_members", "forum_categories", "forum_threads", "forum_thread_tags",
             "forum_posts", "forum_mentions", "forum_reactions")
    plan.rows = {name: plan.rows[name] for name in order}
    return plan


def count_edges(plan: Plan) -> dict[str, int]:
    """Edges as the matching graph counts them, one per pair of nodes: works-at (active members),
    person-person (a connection and/or forum interactions outside private groups: replies, mentions,
    accepted answers, reactions on live posts), person-tag (profile tags and tags of threads they
    wrote in outside private groups), company-tag (offers and needs)."""
    connections = {(row["person_a_id"], row["person_b_id"]) for row in plan.rows["connections"]}
    person_tag = {(pid, t) for pid, tags in plan.person_tags.items() for t in tags} | plan.topic_pairs
    company_tag = {(row["company_id"], row["tag_id"]) for row in plan.rows["company_tags"]}
    edges = {"works_at": len(plan.company_of), "connections": len(connections),
             "interactions": len(plan.interaction_pairs), "person_person": len(connections | plan.interaction_pairs),
             "person_tag": len(person_tag), "company_tag": len(company_tag)}
    edges["total"] = edges["works_at"] + edges["person_person"] + edges["person_tag"] + edges["company_tag"]
    return edges
