"""Believable Markdown for generated forum posts (benchmarks/forum_data.py).

Posts are built from the writer's own profile tags (the demo vocabulary) and sentence templates,
with the Markdown real posts use: emphasis, lists, code spans and blocks, links, @mentions.
Lengths are skewed: most posts are a few sentences, some run to several paragraphs.
"""

from __future__ import annotations

import random

TITLES = (
    "Looking for a partner with {topic} experience", "Who has done {topic} for mid-size customers?",
    "How do you approach {topic} projects?", "{topic}: fixed price or time and materials?",
    "Lessons learned from a {topic} rollout", "Best way to staff a {topic} team?",
    "{topic} and {other}: anyone combined them?", "Certification path for {topic}?",
    "Customer asks for {topic} next quarter: where to start?", "Tooling for {topic} in 2025",
    "Is {topic} still worth offering?", "Reference architecture for {topic}",
)
OPENINGS = (
    "We keep getting asked about **{topic}** and do not have the skills in house.",
    "Our team is scoping a {topic} project and would like to compare notes.",
    "Short question about {topic}, hopefully someone here has been through it.",
    "A customer wants {topic} live before the end of the year.",
    "We have delivered {other} for years and now customers ask for {topic} as well.",
)
SENTENCES = (
    "The main risk so far is the data quality in the old system.",
    "Timelines are tight because the licence renewal is due in spring.",
    "We would rather work with a partner than hire for a single project.",
    "The customer's IT team is small, so whatever we build has to be easy to run.",
    "Has anyone found a good way to estimate the effort up front?",
    "We tried a proof of concept with {topic} last month and it went well.",
    "The integration with {other} is where most of the work seems to be.",
    "Budget is approved, but the steering committee wants a reference first.",
    "Any pointers to documentation or training would help too.",
    "We are based in Europe but the rollout covers three regions.",
)
REPLIES = (
    "We have done {topic} for several customers. Happy to set up a call and compare notes.",
    "From our experience: start small, agree on the data owners early and plan the cut-over twice.",
    "+1, we are looking for the same. Following this thread.",
    "We use a fixed scope for the first phase and time and materials afterwards. Worked well for {topic}.",
    "Have a look at our {own} practice as well, it fits nicely next to {topic}.",
    "Thanks, this is really helpful! We will reach out directly.",
    "Careful with the licensing: {topic} is priced per user in some editions and per core in others.",
    "The documentation is thin on this. What helped us was the partner enablement track.",
    "We ran into the same problem and solved it with a small middleware layer.",
    "Depends on the customer's size. Below 200 users we would not bother with a separate {topic} team.",
)
LIST_ITEMS = ("timelines", "licensing", "staffing", "data migration", "testing", "training", "support model",
              "security review", "hand-over to operations", "budget")
CODE = ("```\nkubectl rollout status deployment/{slug} --timeout=120s\n```",
        "```sql\nSELECT customer_id, count(*) FROM orders GROUP BY customer_id;\n```",
        "```\nPOST /api/v2/{slug}/sync HTTP/1.1\nContent-Type: application/json\n```")


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split()) or "topic"


class ForumWriter:
    """Titles and bodies from a seeded random generator (same seed, same text)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def title(self, topic: str, other: str = "") -> str:
        text = self.rng.choice(TITLES).format(topic=topic, other=other or topic)
        return text[0].upper() + text[1:]

    def _paragraph(self, topic: str, other: str, sentences: int) -> str:
        picked = self.rng.sample(SENTENCES, min(sentences, len(SENTENCES)))
        return " ".join(s.format(topic=topic, other=other) for s in picked)

    def question(self, topic: str, related: list[str]) -> str:
        other = related[0] if related else topic
        parts = [self.rng.choice(OPENINGS).format(topic=topic, other=other)
                 + " " + self._paragraph(topic, other, self.rng.randint(1, 3))]
        if self.rng.random() < 0.4:
            parts.append("What we need to figure out:\n\n" + "\n".join(
                f"- {item}" for item in self.rng.sample(LIST_ITEMS, self.rng.randint(2, 4))))
        for _ in range(min(4, int(self.rng.expovariate(1.2)))):
            parts.append(self._paragraph(topic, other, self.rng.randint(2, 4)))
        if self.rng.random() < 0.1:
            parts.append(self.rng.choice(CODE).format(slug=_slug(topic)))
        if self.rng.random() < 0.15:
            parts.append(f"Background: [our notes on {topic}](https://docs.example/{_slug(topic)}).")
        return "\n\n".join(parts)

    def reply(self, own: str, topic: str, *, mention: str | None = None) -> str:
        first = self.rng.choice(REPLIES).format(topic=topic, own=own)
        if mention:
            first = f"@{mention} {first}"
        parts = [first]
        for _ in range(min(3, int(self.rng.expovariate(1.5)))):
            parts.append(self._paragraph(topic, own, self.rng.randint(1, 3)))
        if self.rng.random() < 0.05:
            parts.append(self.rng.choice(CODE).format(slug=_slug(topic)))
        if self.rng.random() < 0.08:
            parts.append(f"We wrote up how we do `{_slug(own)}` here: https://partners.example/{_slug(own)}")
        return "\n\n".join(parts)
