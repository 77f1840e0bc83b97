"""Search on a Whoosh index on disk (the default, embedded backend).

Whoosh allows one writer at a time per index, across processes, through a lock file: writers
wait for it (`timeout`) instead of failing. Searchers are per thread and refreshed before each
search, so a search sees every commit made before it started. A rebuild writes a new index
beside the live one and swaps directories, so searches keep working while it runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path

from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, FieldType, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.qparser import FieldsPlugin, MultifieldParser, OperatorsPlugin, OrGroup, PlusMinusPlugin, WildcardPlugin
from whoosh.query import And, DateRange, Every, Or, Term

from portal.search.backend import Access, SearchUnavailable
from portal.search.documents import CONNECTIONS, MEMBERS, PUBLIC, THREAD, SearchDocument
from portal.search.query import Hit, Results, SearchQuery, make_snippet, query_terms
from portal.search.vocabulary import AUDIENCE_MEMBERS, AUDIENCE_PUBLIC, correct, distinct_words, suggestion_text
from portal.search.whoosh_topk import TopK

log = logging.getLogger(__name__)
WRITE_LOCK_TIMEOUT = 30.0


def _cache_missing_columns() -> None:
    """whoosh-reloaded 2.7.5 caches the per-document length column of a field only when the
    field has one: for every posting of an unscored field (ids, keywords, the vocabulary)
    writing a segment asks the file system again whether the file exists, which was 40% of
    `portal reindex`. Remember the answer "no column" too."""
    from whoosh.codec import whoosh3

    original = whoosh3.W3PerDocReader._cached_reader
    if getattr(original, "_remembers_missing", False):
        return

    def cached_reader(self, fieldname, column):
        if fieldname not in self._readers:
            self._readers[fieldname] = original(self, fieldname, column)
        return self._readers[fieldname]

    cached_reader._remembers_missing = True
    whoosh3.W3PerDocReader._cached_reader = cached_reader


_cache_missing_columns()


class _Vocabulary(FieldType):
    """Unstemmed words for "did you mean", by audience (see vocabulary.py). Only whether a
    document has a word is kept (no positions, lengths or scores), and the words come split
    already (vocabulary.distinct_words, a C regex) instead of through a second Python analyzer
    pass: with both, writing the index took twice as long."""

    def __init__(self) -> None:
        super().__init__(format=formats.Existence(), analyzer=StandardAnalyzer(minsize=3))

    def index(self, value, **kwargs):
        for word in distinct_words(value):
            yield word.encode("utf-8"), 1, 1.0, b""


class _WeightedText(TEXT):
    """Title, tags and public text as one indexed field, each part's words weighted as the
    separate fields' boosts did (title x3, tags x2): a word's weight in a document is the sum
    of its occurrences' weights, the term frequency BM25 saturates (as in BM25F).

    One posting list per word instead of three: a word or phrase used to be matched, scored and
    (for phrases) position-checked in `title`, `tags` and `body` separately, and replies carry
    their thread's tags, so a common phrase walked ~25k postings; and the per-block score
    bounds of one field are tight enough for the top-10 collector to skip blocks, which a sum
    over three fields' bounds never was. Parts are kept apart in positions so that a phrase
    does not run from a title into the text."""

    PART_GAP = 100

    def __init__(self) -> None:
        super().__init__(analyzer=StemmingAnalyzer())

    def index(self, value, **kwargs):
        """`value` is a sequence of (text, weight) parts."""
        positions: dict[str, list[int]] = {}
        weights: dict[str, float] = {}
        start = 0
        for text, weight in value:
            last = start
            for token in self.analyzer(text, positions=True, mode="index", start_pos=start):
                if token.stopped:
                    continue
                positions.setdefault(token.text, []).append(token.pos)
                weights[token.text] = weights.get(token.text, 0.0) + weight
                last = token.pos
            start = last + self.PART_GAP
        encode = self.format.encode
        for word, where in positions.items():
            yield word.encode("utf-8"), len(where), weights[word], encode(where)


TEXT_PART_WEIGHTS = {"title": 3.0, "tags": 2.0, "body": 1.0}


def _schema() -> Schema:
    stem = StemmingAnalyzer()
    return Schema(
        doc_id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        text=_WeightedText(),  # title, tags and public text, for matching (see _WeightedText)
        title=STORED,
        body=STORED,  # the public text, for snippets
        body_members=TEXT(analyzer=stem, stored=True),
        body_connections=TEXT(analyzer=stem, stored=True),
        tag_keys=KEYWORD(commas=True),
        scope=ID,
        category=ID,
        company=ID,
        owner=ID(stored=True),
        created=DATETIME(stored=True, sortable=True),
        url=STORED,
        context=STORED,
        words_public=_Vocabulary(),
        words_members=_Vocabulary(),
    )


def _signature(schema: Schema) -> dict[str, tuple[str, str, bool]]:
    """What an index must share with today's schema to be written and read by this code: each
    field's name, type, posting format and whether it is stored. Names alone missed a field
    that changed type under the same name."""
    return {name: (type(field).__name__, type(field.format).__name__ if field.format else "", bool(field.stored))
            for name, field in schema.items()}


def _fields(doc: SearchDocument) -> dict:
    vocabulary = suggestion_text(doc)
    public = doc.text.get(PUBLIC, "")
    parts = {"title": doc.title, "tags": " ".join(doc.tags), "body": public}
    fields = {
        "words_public": vocabulary[AUDIENCE_PUBLIC], "words_members": vocabulary[AUDIENCE_MEMBERS],
        "doc_id": doc.doc_id, "kind": doc.kind, "title": doc.title,
        "text": [(text, TEXT_PART_WEIGHTS[name]) for name, text in parts.items() if text] or "",
        "body": public, "body_members": doc.text.get(MEMBERS, ""),
        "body_connections": doc.text.get(CONNECTIONS, ""), "tag_keys": ",".join(doc.tag_keys), "scope": doc.scope,
        "category": str(doc.category_id or ""), "company": str(doc.company_id or ""),
        "owner": str(doc.owner_id or ""), "created": doc.created_at.replace(tzinfo=None), "url": doc.url,
        "context": doc.context,
    }
    # Most documents leave several fields empty (replies have no title, forum text no hidden
    # levels): leaving them out saves an analyzer pass each when writing.
    return {name: value for name, value in fields.items() if value != ""}


class WhooshBackend:
    name = "whoosh"

    def __init__(self, directory: str | Path, rebuild_memory_mb: int = 1024) -> None:
        self.directory = Path(directory)
        self.rebuild_memory_mb = rebuild_memory_mb
        self.schema = _schema()
        self._local = threading.local()  # each thread's open searcher (Whoosh searchers are not shared)

    # --- state ------------------------------------------------------------------------

    @property
    def _rebuild_marker(self) -> Path:
        return self.directory.with_name(self.directory.name + ".rebuilding")

    def status(self) -> str:
        marker = self._rebuild_marker
        if marker.exists() and time.time() - marker.stat().st_mtime < 3600:
            return "rebuilding"
        return "ready" if self._exists() else "missing"

    def _exists(self) -> bool:
        """Whether an index is there, damaged or not. Whoosh's exists_in() reads the table of
        contents and raises on a damaged one, which made the damage-handling path itself fail."""
        return self.directory.is_dir() and any(self.directory.glob("_MAIN_*.toc"))  # Whoosh's default index name

    def _open(self):
        if not self._exists():
            raise SearchUnavailable("missing")
        try:
            # No mmap: searchers stay open between searches, and a file damaged or cut short
            # under a mapping kills the process with SIGBUS instead of raising an error.
            ix = FileStorage(str(self.directory), supports_mmap=False).open_index()
        except Exception as error:  # noqa: BLE001 - any damage to the files means: rebuild
            log.warning("search index at %s cannot be opened: %s", self.directory, error)
            raise SearchUnavailable("damaged") from error
        if _signature(ix.schema) != _signature(self.schema):
            # Written by an older version of this code: its writers would reject today's fields.
            log.warning("search index at %s has an outdated schema", self.directory)
            raise SearchUnavailable("outdated")
        return ix

    def _searcher(self):
        """This thread's searcher on the index as it is now, as a context that leaves it open.

        Opening a searcher reads every segment's term files (~90 ms on 100k posts), so each
        thread keeps one and swaps it only when a commit changed the index (a newer TOC
        generation) or a rebuild swapped the directory (another inode)."""
        identity = self._dir_identity()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and self._local.identity == identity and cached.up_to_date():
            return nullcontext(cached)
        # A fresh searcher rather than refresh(): refresh reuses the readers of segments it
        # thinks unchanged, and a segment that only gained deletions still looks unchanged to
        # it, so deleted documents would keep being found.
        self._forget_searcher()
        searcher = self._open().searcher()
        self._local.searcher, self._local.identity, self._local.masks = searcher, identity, {}
        self._local.topk = TopK(searcher)
        return nullcontext(searcher)

    def _forget_searcher(self) -> None:
        cached = getattr(self._local, "searcher", None)
        self._local.searcher = None
        if cached is not None:
            try:
                cached.close()
            except Exception:  # noqa: BLE001 - it is being thrown away because it is broken
                log.debug("closing a broken searcher failed", exc_info=True)

    def _dir_identity(self) -> int | None:
        try:
            return os.stat(self.directory).st_ino
        except FileNotFoundError:
            return None

    # --- writing ----------------------------------------------------------------------

    def _writer(self):
        return self._open().writer(timeout=WRITE_LOCK_TIMEOUT)

    def index(self, session, docs: Iterable[SearchDocument]) -> int:
        docs = list(docs)
        if not docs:
            return 0
        writer = self._writer()
        try:
            for doc in docs:
                writer.update_document(**_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return len(docs)

    def delete(self, session, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        if not doc_ids:
            return
        writer = self._writer()
        for value in doc_ids:
            writer.delete_by_term("doc_id", value)
        writer.commit()

    def doc_ids_with_tag(self, session, tag_key: str) -> list[str]:
        try:
            with self._searcher() as searcher:
                return [hit["doc_id"] for hit in searcher.search(Term("tag_keys", tag_key), limit=None)]
        except SearchUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - damaged segment files surface while reading
            raise SearchUnavailable("damaged") from error

    # --- changes made while a rebuild runs -----------------------------------------------
    # The rebuild reads the database from start to end; a document changed meanwhile may be in
    # it as it was. Any process that commits a change during a rebuild appends the document's id
    # to a journal beside the index (O_APPEND writes of a line are atomic), and the rebuilding
    # process re-reads those documents once the new index is in place.

    @property
    def _journal(self) -> Path:
        return self.directory.with_name(self.directory.name + ".pending")

    def note_pending(self, doc_ids: Iterable[str]) -> None:
        lines = "".join(f"{value}\n" for value in doc_ids)
        if lines:
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            with open(self._journal, "a", encoding="utf-8") as journal:
                journal.write(lines)

    def take_pending(self) -> list[str]:
        taken = self._journal.with_name(self._journal.name + f".{os.getpid()}")
        try:
            self._journal.rename(taken)
        except FileNotFoundError:
            return []
        try:
            return list(dict.fromkeys(line for line in taken.read_text(encoding="utf-8").split() if ":" in line))
        finally:
            taken.unlink(missing_ok=True)

    def rebuild(self, session, docs: Iterable[SearchDocument]) -> int:
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        marker = self._rebuild_marker
        marker.write_text(str(os.getpid()))
        fresh = self.directory.with_name(self.directory.name + f".new-{os.getpid()}")
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        try:
            ix = whoosh_index.create_in(str(fresh), self.schema)
            # One process with a large posting pool: procs=2 (MpWriter) was slower on the 2-core
            # machines we run on, pickling every document to the workers and merging after. The
            # pool size matters most: 256 MB spilled to many sorted runs and gave ~390 documents/s
            # on 60k documents, 1 GB ~710 (2 GB no better).
            writer = ix.writer(limitmb=self.rebuild_memory_mb)
            count = 0
            for doc in docs:
                writer.add_document(**_fields(doc))
                count += 1
            writer.commit()
            old = self.directory.with_name(self.directory.name + f".old-{os.getpid()}")
            if self.directory.exists():
                self.directory.rename(old)
            fresh.rename(self.directory)
            shutil.rmtree(old, ignore_errors=True)
            return count
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
            marker.unlink(missing_ok=True)

    # --- reading ----------------------------------------------------------------------

    def _parser(self, fields: list[str], group=None) -> MultifieldParser:
        parser = MultifieldParser(fields, self.schema, group=group) if group else MultifieldParser(fields, self.schema)
        # Field prefixes would let anyone query hidden profile text ("body_members:…");
        # wildcards make one request scan the whole vocabulary.
        parser.remove_plugin_class(FieldsPlugin)
        parser.remove_plugin_class(WildcardPlugin)
        # The same operators as PostgreSQL's websearch syntax: "or" in any case, -word to exclude.
        parser.replace_plugin(OperatorsPlugin(Or=r"(?<=\s)(?:OR|or|Or)(?=\s)"))
        parser.add_plugin(PlusMinusPlugin())
        return parser

    def _text_query(self, text: str, access: Access):
        """The parsed query over every field the viewer may search.

        Connections-only profile text is searched too when the viewer has connections, but each
        match there counts only in the profiles of those connections (or their own): a query
        may mix words from several levels ("roaster Trondheim"), as the profile page shows them.
        """
        fields = ["text"]
        if access.is_member or access.sees_everything:
            fields.append("body_members")
        if access.sees_everything or access.connection_owner_ids:
            fields.append("body_connections")
        query = self._parser(fields).parse(text)
        if access.sees_everything or not access.connection_owner_ids:
            return query
        owners = Or([Term("owner", str(pid)) for pid in sorted(access.connection_owner_ids)])

        def only_connections(node):
            if getattr(node, "fieldname", None) == "body_connections":
                return And([node, owners])
            return node

        return query.accept(only_connections)

    def _hidden_docs(self, searcher, access: Access) -> set[int] | None:
        """The documents of scopes this viewer may not read, as a mask. Computed once per
        searcher and set of hidden scopes: document numbers only change with the index."""
        hidden = tuple(sorted(scope for scope in (term.decode() if isinstance(term, bytes) else term
                                                  for term in searcher.lexicon("scope"))
                              if scope not in access.scopes))
        if not hidden:
            return None
        masks = self._local.masks
        if hidden not in masks:
            masks[hidden] = set(searcher.docs_for_query(Or([Term("scope", scope) for scope in hidden])))
        return masks[hidden]

    @staticmethod
    def _filter(query: SearchQuery, access: Access):
        parts = []
        if query.kind:
            parts.append(Term("kind", query.kind))
        if query.category_id:
            parts.append(Term("category", str(query.category_id)))
        if query.tag_key:
            parts.append(Term("tag_keys", query.tag_key))
        if query.company_id:
            parts.append(Term("company", str(query.company_id)))
        if query.date_from or query.date_to:
            parts.append(DateRange("created", query.date_from and query.date_from.replace(tzinfo=None),
                                   query.date_to and query.date_to.replace(tzinfo=None)))
        return And(parts) if parts else None

    def search(self, session, query: SearchQuery, access: Access) -> Results:
        try:
            with self._searcher() as searcher:
                return self._search(searcher, query, access)
        except SearchUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - damaged segment files surface while reading
            log.warning("search failed on %s: %s", self.directory, error)
            self._forget_searcher()
            raise SearchUnavailable("damaged") from error

    def _search(self, searcher, query: SearchQuery, access: Access) -> Results:
        if query.text:
            q = self._text_query(query.text, access)
        else:
            q = Every()
        wanted = query.page * query.per_page
        search_filter, hidden = self._filter(query, access), self._hidden_docs(searcher, access)
        fast = None
        if query.text:
            allowed = searcher._filter_to_comb(search_filter) if search_filter is not None else None
            fast = self._local.topk.search(q, wanted, allowed, hidden)
        if fast is not None:
            best, total, exact = fast
            page = [searcher.stored_fields(docnum) for _score, docnum in best[(query.page - 1) * query.per_page:wanted]]
        else:
            # Ask for the results up to this page only: counting every match exactly would walk
            # all of them. When fewer than asked for come back, the count is exact; otherwise
            # Whoosh's estimate is shown as "about".
            results = searcher.search(q, limit=wanted, filter=search_filter, mask=hidden)
            found = results.scored_length()
            exact = found < wanted
            # (Results.estimated_length() would count every match after all once a mask is set.)
            total = found if exact else max(found, q.estimate_size(searcher.reader()))
            page = results[(query.page - 1) * query.per_page:wanted]
        terms = query_terms(query.text)
        hits = [self._hit(hit, access, terms) for hit in page]
        suggestion = None
        if query.text and total < 3:
            suggestion = correct(query.text, self._speller(searcher, access))
        return Results(hits=hits, total=total, page=query.page, per_page=query.per_page, suggestion=suggestion,
                       exact=exact)

    @staticmethod
    def _speller(searcher, access: Access):
        """Closest known word of the viewer's audiences: fewest edits first, then most documents."""
        reader = searcher.reader()
        fields = ["words_public"] + (["words_members"] if access.is_member or access.sees_everything else [])

        def replacement_for(word: str) -> str | None:
            if any(reader.doc_frequency(name, word) for name in fields):
                return None
            for distance in ((1, 2) if len(word) > 4 else (1,)):
                found: dict[str, int] = {}
                for name in fields:
                    for candidate in reader.terms_within(name, word, distance, prefix=1):
                        found[candidate] = found.get(candidate, 0) + reader.doc_frequency(name, candidate)
                if found:
                    return max(sorted(found), key=found.__getitem__)
            return None

        return replacement_for

    @staticmethod
    def _hit(hit, access: Access, terms: frozenset[str]) -> Hit:
        owner = int(hit["owner"]) if hit.get("owner") else None
        text = access.visible_text({PUBLIC: hit.get("body", ""), MEMBERS: hit.get("body_members", ""),
                                    CONNECTIONS: hit.get("body_connections", "")}, owner)
        return Hit(doc_id=hit["doc_id"], kind=hit["kind"], title=hit.get("title", ""), url=hit["url"],
                   snippet=make_snippet(text, terms), created_at=hit["created"], context=hit.get("context", ""))

    def similar_titles(self, session, text: str, access: Access, limit: int) -> list[tuple[str, str]]:
        q = self._parser(["text"], group=OrGroup.factory(0.9)).parse(text)
        try:
            with self._searcher() as searcher:
                return [(hit["title"], hit["url"]) for hit in searcher.search(
                    q, limit=limit, filter=Term("kind", THREAD), mask=self._hidden_docs(searcher, access))]
        except Exception:  # noqa: BLE001 - suggestions are optional; a damaged index shows none
            log.warning("similar threads unavailable", exc_info=True)
            return []
