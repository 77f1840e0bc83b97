"""@mentions: `@dana-reyes` (a person's profile slug) becomes a link to their profile.

Mentions inside code spans and fenced code blocks stay literal text.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.profiles.models import Person

_MENTION = re.compile(r"(?<![\w@/.`\[])@([a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?)(?![\w-])")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")


def mentioned_slugs(body: str) -> list[str]:
    slugs: list[str] = []
    for line in _prose_lines(body):
        for piece in _CODE_SPAN.split(line):
            slugs.extend(_MENTION.findall(piece or ""))
    return list(dict.fromkeys(slugs))


def _prose_lines(body: str):
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence and not line.startswith("    "):
            yield _CODE_SPAN.sub(" ", line)


def link_mentions(session: Session, body: str) -> tuple[str, set[int]]:
    """The Markdown with known mentions turned into profile links, and who was mentioned."""
    slugs = mentioned_slugs(body)
    if not slugs:
        return body, set()
    people = {p.slug: p for p in session.scalars(select(Person).where(Person.slug.in_(slugs)))}
    if not people:
        return body, set()
    out, in_fence = [], False
    for line in body.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and not line.startswith("    "):
            line = _link_line(line, people)
        out.append(line)
    return "".join(out), {p.id for p in people.values()}


def _link_line(line: str, people: dict[str, Person]) -> str:
    parts = re.split(r"(`+[^`]*`+)", line)

    def link(match: re.Match) -> str:
        person = people.get(match.group(1))
        return f"[@{person.slug}](/people/{person.slug})" if person else match.group(0)

    return "".join(part if part.startswith("`") else _MENTION.sub(link, part) for part in parts)
