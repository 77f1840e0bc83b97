"""Search on PostgreSQL full-text search (SEARCH_BACKEND=postgres), for several app hosts.

Documents live in the `search_documents` table with weighted tsvectors (title A, tags B,
text C) under GIN indexes; queries go through websearch_to_tsquery, which accepts what
people type (quotes for phrases, `or`, `-word`) and never raises a syntax error. A rebuild
replaces every row in one transaction: searches see the old rows until it commits.

Snippets come from ts_headline over the text the viewer may see, with our own escaping.

"Did you mean" compares the query's words (difflib, same first letter) with the unstemmed
words of the 20,000 newest documents the viewer's audience may read (ts_stat over the 'simple'
configuration; see vocabulary.py for why only public and members text), cached for ten
minutes per process: the English statistics would suggest stems ("roast"), and pg_trgm is an
extension a deployment may not be allowed to install.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Iterable

from markupsafe import Markup, escape
from sqlalchemy import text

from portal.search.backend import Access
from portal.search.documents import CONNECTIONS, MEMBERS, PUBLIC, THREAD, SearchDocument
from portal.search.query import Hit, Results, SearchQuery, make_snippet, query_terms
from portal.search.vocabulary import AUDIENCE_MEMBERS, AUDIENCE_PUBLIC, correct

# A profile's hidden levels get vectors of their own that include everything below them, so
# that one query may mix words from several levels, as the profile page shows them together.
_PUBLIC_VECTOR = ("setweight(to_tsvector('english', :title), 'A') || setweight(to_tsvector('english', :tags), 'B')"
                  " || setweight(to_tsvector('english', :body), 'C')")
_UPSERT = text(f"""
INSERT INTO search_documents (doc_id, kind, title, tags, tag_keys, body, body_members, body_connections, scope,
    category_id, company_id, owner_id, created_at, url, context, tsv_public, tsv_members, tsv_connections)
VALUES (:doc_id, :kind, :title, :tags, :tag_keys, :body, :body_members, :body_connections, :scope,
    :category_id, :company_id, :owner_id, :created_at, :url, :context,
    {_PUBLIC_VECTOR},
    CASE WHEN :body_members = '' THEN NULL
         ELSE {_PUBLIC_VECTOR} || setweight(to_tsvector('english', :body_members), 'C') END,
    CASE WHEN :body_connections = '' THEN NULL
         ELSE {_PUBLIC_VECTOR} || setweight(to_tsvector('english', :body_members || ' ' || :body_connections), 'C')
    END)
ON CONFLICT (doc_id) DO UPDATE SET kind = EXCLUDED.kind, title = EXCLUDED.title, tags = EXCLUDED.tags,
    tag_keys = EXCLUDED.tag_keys, body = EXCLUDED.body, body_members = EXCLUDED.body_members,
    body_connections = EXCLUDED.body_connections, scope = EXCLUDED.scope, category_id = EXCLUDED.category_id,
    company_id = EXCLUDED.company_id, owner_id = EXCLUDED.owner_id, created_at = EXCLUDED.created_at,
    url = EXCLUDED.url, context = EXCLUDED.context, tsv_public = EXCLUDED.tsv_public,
    tsv_members = EXCLUDED.tsv_members, tsv_connections = EXCLUDED.tsv_connections
""")  # noqa: S608 - only the constant vector expression is formatted in; values are bound
# The unstemmed words an audience may be offered (vocabulary.py): public categories' and public
# fields' text for everyone; members-only categories and members-level fields for members.
# Private groups and connections-only fields never feed a suggestion.
_VOCABULARY_SQL = {
    AUDIENCE_PUBLIC: "SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('simple', title || ' ' || tags || ' ' "
                     "|| body) FROM (SELECT title, tags, body FROM search_documents "
                     "WHERE scope = 'public' AND kind <> 'post' "
                     "ORDER BY created_at DESC LIMIT 20000) AS recent$$) ORDER BY ndoc DESC LIMIT 50000",
    AUDIENCE_MEMBERS: "SELECT word, ndoc FROM ts_stat($$SELECT to_tsvector('simple', CASE WHEN scope = 'members' "
                      "THEN title || ' ' || tags || ' ' || body ELSE '' END || ' ' || body_members) "
                      "FROM (SELECT title, tags, body, body_members, scope FROM search_documents "
                      "WHERE scope IN ('public', 'members') AND kind <> 'post' "
                      "ORDER BY created_at DESC LIMIT 20000) AS recent$$) ORDER BY ndoc DESC LIMIT 50000",
}
_START, _STOP = "\ue000", "\ue001"
# One passage around the best match (short texts whole): fragments cut short replies oddly.
_HEADLINE_OPTIONS = f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=35, MinWords=15'

_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.DOTALL)


def _marked(value: str) -> Markup:
    """Escaped text with <mark> around what ts_headline selected."""
    out, last = [], 0
    for match in _MARKED.finditer(value):
        out.append(escape(value[last:match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(1))
        last = match.end()
    out.append(escape(value[last:].replace(_START, "").replace(_STOP, "")))
    return Markup("").join(out)


_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
VOCABULARY_SECONDS = 600


def _row(doc: SearchDocument) -> dict:
    return {
        "doc_id": doc.doc_id, "kind": doc.kind, "title": doc.title, "tags": " ".join(doc.tags),
        "tag_keys": "|" + "|".join(doc.tag_keys) + "|", "body": doc.text.get(PUBLIC, ""),
        "body_members": doc.text.get(MEMBERS, ""), "body_connections": doc.text.get(CONNECTIONS, ""),
        "scope": doc.scope, "category_id": doc.category_id, "company_id": doc.company_id, "owner_id": doc.owner_id,
        "created_at": doc.created_at, "url": doc.url, "context": doc.context,
    }


class PostgresBackend:
    name = "postgres"

    def __init__(self) -> None:
        self._vocabulary: dict[str, tuple[float, dict[str, list[tuple[str, int]]]]] = {}

    def status(self) -> str:
        return "ready"

    def index(self, session, docs: Iterable[SearchDocument]) -> int:
        rows = [_row(doc) for doc in docs]
        if rows:
            session.execute(_UPSERT, rows)
        return len(rows)

    def delete(self, session, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        if doc_ids:
            session.execute(text("DELETE FROM search_documents WHERE doc_id = ANY(:ids)"), {"ids": doc_ids})

    def doc_ids_with_tag(self, session, tag_key: str) -> list[str]:
        pattern = "%|" + tag_key.replace("\\", "").replace("%", "").replace("_", r"\_") + "|%"
        return list(session.execute(text("SELECT doc_id FROM search_documents WHERE tag_keys LIKE :pattern"),
                                    {"pattern": pattern}).scalars())

    # A rebuild is one transaction: a handler's upsert of a row the rebuild rewrote waits for it
    # to commit and then applies the newer document, so nothing needs remembering.
    def note_pending(self, doc_ids: Iterable[str]) -> None:
        pass

    def take_pending(self) -> list[str]:
        return []

    def rebuild(self, session, docs: Iterable[SearchDocument]) -> int:
        """Runs in the caller's transaction: other sessions see the old rows until it commits."""
        count = 0
        session.execute(text("DELETE FROM search_documents"))
        batch: list[dict] = []
        for doc in docs:
            batch.append(_row(doc))
            if len(batch) == 1000:
                session.execute(_UPSERT, batch)
                count, batch = count + len(batch), []
        if batch:
            session.execute(_UPSERT, batch)
            count += len(batch)
        self._vocabulary = {}
        return count

    @staticmethod
    def _conditions(query: SearchQuery, access: Access, params: dict) -> list[str]:
        params.update(scopes=sorted(access.scopes), member=access.is_member or access.sees_everything,
                      admin=access.sees_everything, owners=sorted(access.connection_owner_ids))
        where = ["d.scope = ANY(:scopes)"]
        if query.text:
            where.append("(d.tsv_public @@ q.query OR (:member AND d.tsv_members @@ q.query)"
                         " OR ((:admin OR d.owner_id = ANY(:owners)) AND d.tsv_connections @@ q.query))")
        if query.kind:
            where.append("d.kind = :kind")
            params["kind"] = query.kind
        if query.category_id:
            where.append("d.category_id = :category_id")
            params["category_id"] = query.category_id
        if query.tag_key:
            where.append("d.tag_keys LIKE :tag_pattern")
            params["tag_pattern"] = "%|" + query.tag_key.replace("%", "").replace("_", r"\_") + "|%"
        if query.company_id:
            where.append("d.company_id = :company_id")
            params["company_id"] = query.company_id
        if query.date_from:
            where.append("d.created_at >= :date_from")
            params["date_from"] = query.date_from
        if query.date_to:
            where.append("d.created_at <= :date_to")
            params["date_to"] = query.date_to
        return where

    def search(self, session, query: SearchQuery, access: Access) -> Results:
        params: dict = {"text": query.text, "limit": query.per_page, "offset": (query.page - 1) * query.per_page}
        where = self._conditions(query, access, params)
        # Rank on the widest text the viewer may search in this document.
        rank = ("ts_rank(CASE WHEN (:admin OR d.owner_id = ANY(:owners)) AND d.tsv_connections IS NOT NULL"
                " THEN d.tsv_connections WHEN :member AND d.tsv_members IS NOT NULL THEN d.tsv_members"
                " ELSE d.tsv_public END, q.query)" if query.text else "0")
        # Only fixed fragments are formatted into the statement; every value is a bound parameter.
        sql = f"""
            WITH q AS (SELECT websearch_to_tsquery('english', :text) AS query)
            SELECT d.doc_id, d.kind, d.title, d.url, d.created_at, d.context, d.owner_id, d.body, d.body_members,
                   d.body_connections, {rank} AS rank, count(*) OVER () AS total
            FROM search_documents d, q
            WHERE {" AND ".join(where)}
            ORDER BY rank DESC, d.created_at DESC, d.doc_id
            LIMIT :limit OFFSET :offset"""  # noqa: S608
        rows = session.execute(text(sql), params).all()
        terms = query_terms(query.text)
        visible = [access.visible_text({PUBLIC: row.body, MEMBERS: row.body_members,
                                        CONNECTIONS: row.body_connections}, row.owner_id) for row in rows]
        if query.text and rows:
            snippets = self._headlines(session, visible, query.text)
        else:
            snippets = [make_snippet(value, terms) for value in visible]
        hits = [Hit(doc_id=row.doc_id, kind=row.kind, title=row.title, url=row.url, snippet=snippet,
                    created_at=row.created_at, context=row.context)
                for row, snippet in zip(rows, snippets, strict=True)]
        total = rows[0].total if rows else 0
        suggestion = self._suggest(session, query.text, access) if query.text and total < 3 else None
        return Results(hits=hits, total=total, page=query.page, per_page=query.per_page, suggestion=suggestion)

    @staticmethod
    def _headlines(session, texts: list[str], typed: str) -> list[Markup]:
        """ts_headline snippets of the text each viewer may see (never the stored row as a whole).

        PostgreSQL marks the matches with two private-use characters (removed from the text
        first); the text between them is escaped here and only our own <mark> is added.
        """
        cleaned = [value.replace(_START, "").replace(_STOP, "") for value in texts]
        rows = session.execute(text(
            "SELECT ts_headline('english', u.body, websearch_to_tsquery('english', :typed), :options)"
            " FROM unnest(CAST(:texts AS text[])) WITH ORDINALITY AS u(body, position) ORDER BY u.position"),
            {"typed": typed, "texts": cleaned, "options": _HEADLINE_OPTIONS}).scalars()
        return [_marked(value) for value in rows]

    def _words(self, session, audience: str) -> dict[str, list[tuple[str, int]]]:
        """Known words of an audience (see vocabulary.py), by first letter, most documents first."""
        now = time.monotonic()
        cached = self._vocabulary.get(audience)
        if cached is None or now - cached[0] > VOCABULARY_SECONDS:
            rows = session.execute(text(_VOCABULARY_SQL[audience])).all()
            by_letter: dict[str, list[tuple[str, int]]] = {}
            for word, ndoc in rows:
                if _WORD.fullmatch(word):
                    by_letter.setdefault(word[0], []).append((word, ndoc))
            cached = self._vocabulary[audience] = (now, by_letter)
        return cached[1]

    def _suggest(self, session, typed: str, access: Access) -> str | None:
        audiences = [AUDIENCE_PUBLIC] + ([AUDIENCE_MEMBERS] if access.is_member or access.sees_everything else [])
        vocabularies = [self._words(session, audience) for audience in audiences]

        def replacement_for(word: str) -> str | None:
            # Same first letter, as on Whoosh (prefix=1): few misspellings get the first letter wrong.
            counts: dict[str, int] = {}
            for vocabulary in vocabularies:
                for known, ndoc in vocabulary.get(word[0], ()):
                    counts[known] = counts.get(known, 0) + ndoc
            if word in counts:
                return None
            close = difflib.get_close_matches(word, list(counts), n=3, cutoff=0.75)
            return max(close, key=lambda w: (difflib.SequenceMatcher(None, word, w).ratio(), counts[w])) \
                if close else None

        return correct(typed, replacement_for)

    def similar_titles(self, session, text_value: str, access: Access, limit: int) -> list[tuple[str, str]]:
        sql = text("""
            WITH q AS (SELECT replace(plainto_tsquery('english', :text)::text, '&', '|')::tsquery AS query)
            SELECT d.title, d.url FROM search_documents d, q
            WHERE d.kind = :kind AND d.scope = ANY(:scopes) AND d.tsv_public @@ q.query
            ORDER BY ts_rank(d.tsv_public, q.query) DESC LIMIT :limit""")
        rows = session.execute(sql, {"text": text_value, "kind": THREAD, "scopes": sorted(access.scopes),
                                     "limit": limit}).all()
        return [(row.title, row.url) for row in rows]
