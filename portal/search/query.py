"""A search request as both backends see it, its results, and the snippets shown with them.

Snippets are built the same way for both backends, from text the viewer may see: everything
is escaped and only our own <mark> elements are added, so a `<script>` in a title or body
comes out as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from markupsafe import Markup, escape
from whoosh import highlight
from whoosh.analysis import StemmingAnalyzer

from portal.errors import DomainError
from portal.search.documents import KINDS
from portal.text import clean_line

MAX_QUERY_LENGTH = 200
PER_PAGE = 10
ANALYZER = StemmingAnalyzer()


@dataclass(frozen=True)
class SearchQuery:
    text: str
    kind: str = ""
    category_id: int | None = None
    tag_key: str = ""
    company_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def has_filters(self) -> bool:
        return bool(self.kind or self.category_id or self.tag_key or self.company_id or self.date_from
                    or self.date_to)


@dataclass
class Hit:
    doc_id: str
    kind: str
    title: str
    url: str
    snippet: Markup
    created_at: datetime
    context: str = ""


@dataclass
class Results:
    hits: list[Hit]
    total: int
    page: int
    per_page: int = PER_PAGE
    suggestion: str | None = None  # "did you mean"
    exact: bool = True  # False: `total` is the backend's estimate ("about 1,200 results")
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def number(self) -> int:  # the pagination macro's name for it
        return self.page


def parse_date(value: str, field_name: str, end: bool = False) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DomainError("Dates look like 2026-01-31.", field=field_name) from None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def build_query(text: str, *, kind: str = "", category_id: int | None = None, tag_key: str = "",
                company_id: int | None = None, date_from: str = "", date_to: str = "", page: int = 1,
                per_page: int = PER_PAGE) -> SearchQuery:
    """Check what the person typed; anything wrong is a DomainError with a message for the page."""
    text = clean_line(text)
    if len(text) > MAX_QUERY_LENGTH:
        raise DomainError(f"Please shorten your search to at most {MAX_QUERY_LENGTH} characters.", field="q")
    if kind and kind not in KINDS:
        raise DomainError("Unknown result type.", field="type")
    start, end = parse_date(date_from, "from"), parse_date(date_to, "to", end=True)
    if start and end and start > end:
        raise DomainError("The start date is after the end date.", field="from")
    return SearchQuery(text=text, kind=kind, category_id=category_id, tag_key=tag_key, company_id=company_id,
                       date_from=start, date_to=end, page=max(1, min(page, 1000)),
                       per_page=max(1, min(per_page, 100)))


def query_terms(text: str) -> frozenset[str]:
    """The stemmed words of a query, for highlighting (operators and quotes drop out)."""
    words = text.replace('"', " ").replace("(", " ").replace(")", " ")
    return frozenset(t.text for t in ANALYZER(words) if t.text not in ("and", "or", "not"))


class _MarkFormatter(highlight.Formatter):
    """Escapes the text and wraps matches in <mark>; nothing else of the text becomes markup."""

    between = " … "

    def _text(self, text: str) -> str:
        return str(escape(text))

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"


def make_snippet(text: str, terms: frozenset[str], length: int = 240) -> Markup:
    """Up to three fragments of `text` around the query's words; the start of the text otherwise."""
    text = " ".join((text or "").split())
    if not text:
        return Markup("")
    if terms:
        fragment = highlight.highlight(text, terms, ANALYZER, highlight.ContextFragmenter(maxchars=length, surround=60),
                                       _MarkFormatter(), top=2)
        if fragment:
            return Markup(fragment)  # noqa: S704 - built by _MarkFormatter from escaped text
    cut = text[:length]
    return escape(cut + ("…" if len(text) > length else ""))
