"""Forum content for the demo ecosystem: categories, threads and replies between demo people.

Planned as interchange records (so they go through the importer like any other data), from
the people's own offers, needs and skills: a person asks about what they need, and people who
offer it answer. A few prolific writers and many occasional ones, as in real forums.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

CATEGORIES = (
    {"kind": "category", "id": "demo-c-announcements", "name": "Announcements",
     "description": "News from the ecosystem team: programme changes, events, releases."},
    {"kind": "category", "id": "demo-c-integration", "name": "Integration & technology",
     "description": "How-to questions and lessons learned about building on the platform."},
    {"kind": "category", "id": "demo-c-partnering", "name": "Finding partners",
     "description": "Looking for a partner with a skill, a region or an industry? Ask here."},
    {"kind": "category", "id": "demo-c-programme", "name": "Partner programme", "visibility": "members",
     "description": "Members only: tiers, incentives, co-selling and deal registration."},
)
QUESTION_TITLES = (
    "Looking for a partner with {need} experience",
    "Who has done {need} for {industry} customers?",
    "How do you approach {need} projects?",
    "Recommendations for {need} in {region}?",
    "Lessons learned from {need} rollouts",
)
QUESTION_BODIES = (
    "We keep getting asked about **{need}** by our {industry} customers and do not have the skills in house. "
    "Has anyone here delivered it? We would rather work with a partner than hire.",
    "Our team is scoping a {need} project for a customer in {region}. What should we watch out for, and "
    "which tools worked for you?\n\n- timelines\n- licensing\n- staffing",
    "Short question: how do you price {need} work — fixed price or time and materials? Happy to share our "
    "experience with {offer} in return.",
)
REPLY_BODIES = (
    "We have done {topic} for several customers in {region}. Happy to set up a call and compare notes.",
    "From our experience with {topic}: start small, agree on the data owners early, and plan the cut-over "
    "weekend twice. We can help if you need hands.",
    "+1, we are looking for the same. Following this thread.",
    "We use a fixed scope for the first phase and time and materials afterwards. Worked well for {topic}.",
    "Have a look at our {offer} practice as well — it fits nicely next to {topic}.",
    "Thanks, this is really helpful! We will reach out directly.",
)
ANNOUNCEMENTS = (
    ("Welcome to the PartnerMesh forums", "Ask questions, share what you have built and find partners to work "
     "with. Please keep customer names out of public categories."),
    ("Partner summit registration is open", "The yearly partner summit takes place in spring. Sessions on "
     "co-selling, integration patterns and the roadmap."),
)


def plan_forum(rng: random.Random, people: list[dict], companies: dict[str, dict], now: datetime,
               threads: int = 90) -> list[dict[str, Any]]:
    """Interchange records for the demo forum (deterministic for a given rng state)."""
    records: list[dict[str, Any]] = [dict(c) for c in CATEGORIES]
    writers = [p for p in people if p.get("company")]
    # Zipf-like activity: the first writers in this shuffled list write much more than the rest.
    rng.shuffle(writers)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(writers))]
    offering: dict[str, list[dict]] = {}
    for person in writers:
        for tag in person.get("offers", []) + person.get("skills", []):
            offering.setdefault(tag, []).append(person)
    owner = people[0]
    start = now - timedelta(days=300)
    for number, (title, body) in enumerate(ANNOUNCEMENTS, start=1):
        records.append({"kind": "thread", "id": f"demo-t-news{number}", "category": "demo-c-announcements",
                        "author": owner["id"], "title": title, "body": body, "pinned": number == 1,
                        "created_at": _iso(start + timedelta(days=number))})
    post_number = 0
    for number in range(1, threads + 1):
        asker = rng.choices(writers, weights=weights)[0]
        needs = asker.get("needs") or asker.get("interests") or asker.get("skills") or ["partnering"]
        need = rng.choice(needs)
        company = companies.get(asker.get("company", ""), {})
        values = {"need": need, "industry": company.get("industry", "enterprise"),
                  "region": company.get("region", "Europe"), "offer": rng.choice(asker.get("offers") or [need])}
        when = start + timedelta(days=rng.uniform(5, 295))
        category = rng.choice(("demo-c-integration", "demo-c-partnering", "demo-c-partnering", "demo-c-programme"))
        thread_id = f"demo-t{number:04d}"
        records.append({"kind": "thread", "id": thread_id, "category": category, "author": asker["id"],
                        "title": rng.choice(QUESTION_TITLES).format(**values)[:200],
                        "body": rng.choice(QUESTION_BODIES).format(**values), "tags": [need],
                        "created_at": _iso(when)})
        helpers = [p for p in offering.get(need, []) if p["id"] != asker["id"]]
        accepted_done = False
        for _ in range(min(12, int(rng.expovariate(1 / 4)))):
            author = (rng.choice(helpers) if helpers and rng.random() < 0.6
                      else rng.choices(writers, weights=weights)[0])
            if author["id"] == asker["id"] and rng.random() < 0.7:
                continue
            when += timedelta(hours=rng.uniform(1, 72))
            if when > now:
                break
            post_number += 1
            record = {"kind": "post", "id": f"demo-r{post_number:05d}", "thread": thread_id, "author": author["id"],
                      "body": rng.choice(REPLY_BODIES).format(topic=need, region=values["region"],
                                                               offer=rng.choice(author.get("offers") or [need])),
                      "created_at": _iso(when)}
            if not accepted_done and author in helpers and rng.random() < 0.35:
                record["accepted"] = True
                accepted_done = True
            records.append(record)
    return records


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_private_group(session, admin_person, member_persons: list) -> None:
    """A private group the demo accounts can try: the ecosystem admin runs it (flushes only)."""
    from portal.forums import services

    group = services.create_group(session, "Partner advisory board", admin_person.id,
                                  description="A small group of partners giving early feedback on the programme.")
    for person in member_persons:
        services.set_group_member(session, group, person.id, "member")
    thread = services.create_thread(session, services.group_category(session, group), admin_person.id,
                                    "Draft: next year's partner tiers",
                                    "Before we announce anything: what would make the tiers fairer for small "
                                    "partners? Confidential until the summit.", tags=["partner programme"])
    if member_persons:
        services.reply(session, thread, member_persons[0].id,
                       "Count co-selling with other partners, not only licence revenue.")
