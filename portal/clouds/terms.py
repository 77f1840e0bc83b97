"""From forum text and tags to terms: tokens, stop words, stems and readable surface forms.

A term's *key* is its Porter stem (a tag's key joins the stems of its words), so "roasting",
"roasted" and the tag "Roast" count as one term; what a cloud shows is the surface form people
wrote most. Quoted text (blockquotes) and code are left out: they are not the author's words.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from functools import lru_cache

from whoosh.lang.porter import stem

from portal.clouds.stopwords import STOP_WORDS
from portal.markdown import html_to_text

MAX_KEY = 100
MIN_WORD, MAX_WORD = 3, 30
TITLE_WEIGHT = 2.0  # a thread title says what the thread is about
OPENING_TAG_WEIGHT = 3.0  # tags chosen by the thread's author
REPLY_TAG_WEIGHT = 1.0  # a reply is about the thread's topic too, less surely

_QUOTED = re.compile(r"<(blockquote|pre|code)\b[^>]*>(?:(?!<\1\b).)*?</\1>", re.S | re.I)
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.I)
# Whole runs of 3 to 30 letters; contractions and possessives lose their tail first ("partner's" → "partner").
_WORD = re.compile(rf"(?<!\w)[^\W\d_]{{{MIN_WORD},{MAX_WORD}}}(?!\w)")
_APOSTROPHE_TAIL = re.compile(r"['’][^\W\d_]+")
_TAG_WORD = re.compile(r"\w+")

# term key -> (weight, surface form)
TermVector = dict[str, tuple[float, str]]


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    return stem(word)


def visible_text(body_html: str) -> str:
    """The author's own words of a rendered post: no quotes, no code, no markup, entities decoded."""
    previous = None
    while previous != body_html:  # innermost first, so nested quotes go too
        previous, body_html = body_html, _QUOTED.sub(" ", body_html)
    return html.unescape(html_to_text(body_html))


def words(text: str) -> list[str]:
    """Content words of a text, lower-cased, without stop words, numbers and URLs."""
    text = _APOSTROPHE_TAIL.sub("", _URL.sub(" ", text.lower()))
    return [word for word in _WORD.findall(text) if word not in STOP_WORDS]


def word_key(word: str) -> str:
    return stem_word(word)


def tag_key(name: str) -> str:
    """The key of a tag: its words stemmed, so the tag "Roasting" meets the word "roasted"."""
    parts = _TAG_WORD.findall(name.lower())
    return " ".join(stem_word(p) for p in parts)[:MAX_KEY] or name.lower()[:MAX_KEY]


def _add(vector: dict[str, list], key: str, weight: float, surface: str) -> None:
    entry = vector.get(key)
    if entry is None:
        vector[key] = [weight, {surface: weight}]
    else:
        entry[0] += weight
        entry[1][surface] = entry[1].get(surface, 0.0) + weight


def post_vector(body_html: str, *, title: str = "", tags: list[str] = (), opening: bool = False) -> TermVector:
    """The terms of one post with their weights.

    Repeating a word helps only logarithmically (1 + ln n), so one long rant about a word does not
    outweigh many posts that mention it."""
    by_key: dict[str, list] = {}  # key -> [count, most frequent surface, its count]
    for word, count in Counter(words(visible_text(body_html))).items():
        entry = by_key.get(stem_word(word))
        if entry is None:
            by_key[stem_word(word)] = [count, word, count]
        else:
            entry[0] += count
            if count > entry[2]:
                entry[1], entry[2] = word, count
    vector: dict[str, list] = {key: [1.0 + math.log(count), {surface: 1.0}] for key, (count, surface, _) in
                               by_key.items()}
    if opening:
        for word in words(title):
            _add(vector, word_key(word), TITLE_WEIGHT, word)
    tag_weight = OPENING_TAG_WEIGHT if opening else REPLY_TAG_WEIGHT
    for name in tags:
        _add(vector, tag_key(name), tag_weight, name)
    return {key: (round(weight, 4), max(surfaces, key=surfaces.get)) for key, (weight, surfaces) in vector.items()}
