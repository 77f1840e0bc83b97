"""The words "did you mean" may offer, and how a typed query is corrected with them.

A suggestion tells the viewer that a word exists somewhere in the index, so the vocabulary
must leak nothing: it holds only words every viewer of an audience may read. "public" is the
text of public forum categories, companies and the public fields of profiles; "members" adds
members-only categories and members-level profile fields. Private groups and
connections-only fields never feed it (their readers are too few and too varied for one
shared word list; a misspelling there simply gets no suggestion).

Replies add no words either: they are most of the documents, their vocabulary would double
the cost of writing the index (`portal reindex` must manage 500 posts/s), and the words worth
suggesting nearly always occur in a thread's title, tags or opening post as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from portal.search.documents import MEMBERS, POST, PUBLIC, SearchDocument

AUDIENCE_PUBLIC, AUDIENCE_MEMBERS = "public", "members"
# Words as the vocabulary keeps them: letters only, three or more (numbers and codes are not typos).
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
OPERATORS = frozenset({"and", "or", "not"})


def suggestion_text(doc: SearchDocument) -> dict[str, str]:
    """The document's text by audience, for the vocabulary (empty where it may not go)."""
    if doc.kind == POST:
        return {AUDIENCE_PUBLIC: "", AUDIENCE_MEMBERS: ""}
    everyone = " ".join(part for part in (doc.title, " ".join(doc.tags), doc.text.get(PUBLIC, "")) if part)
    members_level = doc.text.get(MEMBERS, "")
    if doc.scope == PUBLIC:
        return {AUDIENCE_PUBLIC: everyone, AUDIENCE_MEMBERS: members_level}
    if doc.scope == MEMBERS:
        return {AUDIENCE_PUBLIC: "", AUDIENCE_MEMBERS: f"{everyone} {members_level}".strip()}
    return {AUDIENCE_PUBLIC: "", AUDIENCE_MEMBERS: ""}


def distinct_words(text: str) -> list[str]:
    """The vocabulary words of a text, lower-case, each once."""
    return list(dict.fromkeys(WORD.findall(text.lower())))


def correct(typed: str, replacement_for: Callable[[str], str | None]) -> str | None:
    """The query with each unknown word replaced by its closest known word, or None if nothing changed.

    `replacement_for(word)` gets a lower-case word and returns None when the word is known (or
    nothing close is); quotes, operators and other characters of the query stay as typed.
    """
    changed = False

    def fix(match: re.Match) -> str:
        nonlocal changed
        word = match.group(0)
        lower = word.lower()
        if lower in OPERATORS:
            return word
        better = replacement_for(lower)
        if better is None or better == lower:
            return word
        changed = True
        return better

    corrected = WORD.sub(fix, typed)
    return corrected if changed else None
