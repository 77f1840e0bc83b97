"""The top results of a parsed Whoosh query, scored a posting block at a time.

Whoosh finds the best documents by stepping matcher objects through every posting, a few
Python calls per document and per field (and, for a phrase, a decode of both words' positions
and span objects for every document that has both words). Its shortcut for top-N searches,
skipping posting blocks whose best possible score cannot make the list, does not help here:
replies carry their thread's tags, so a common word is in ~30k short documents of nearly equal
BM25 score and almost every block could still hold a top-10 document. On 100k posts a phrase
took 150-300 ms.

This module computes the same ranking differently: each term's postings are read a block at a
time (ids and weights come out of one unpickle per 128 postings), BM25F is applied to them in
one comprehension with the document lengths read once per searcher, and the query's And/Or/
AndNot/AndMaybe structure is applied to dictionaries of scores. A phrase first counts as the
intersection of its words with the sum of their scores, which is what Whoosh scores a phrase
match with; whether the words really stand side by side is checked only for the documents that
reach the top of the list, best first. Scores and order are Whoosh's own (same scorer objects,
same tie-break on document number); any query shape not covered here (slop phrases, ranges,
a query that is only a negation...) returns None and the caller lets Whoosh search.
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from bisect import bisect_left
from io import BytesIO
from itertools import accumulate

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.query import And, AndMaybe, AndNot, Not, NullQuery, Or, Phrase, Term
from whoosh.scoring import BM25FScorer
from whoosh.system import _INT_SIZE, unpack_int
from whoosh.util.numeric import byte_to_length

_LENGTH_OF_BYTE = [byte_to_length(value) for value in range(256)]


def _blocks(matcher, wanted: list[int] | None = None):
    """(ids, weights, values) of each block of a term's postings, decoded as W3LeafMatcher
    decodes them (`_goto`, `_read_ids`, `_read_weights`) but with the block header read in one
    piece (Whoosh unpickles it from the file a byte at a time) and no generator per id.

    With `wanted` (sorted segment document numbers), a block whose id range holds none of them
    is passed over from its header, without reading its postings: a rare word ANDed with a
    common one reads a few blocks of the common one, as Whoosh's skip_to does."""
    if not isinstance(matcher, W3LeafMatcher):  # postings inlined in the term's entry
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        yield ids, weights, values
        return
    postfile, position = matcher._postfile, matcher._baseoffset
    first_id = 0
    while True:
        head = postfile.get(position, _INT_SIZE + 96)
        length = unpack_int(head[:_INT_SIZE])[0]  # negative for the last block
        header = BytesIO(head[_INT_SIZE:])
        try:
            info = pickle.load(header)  # noqa: S301 - our own index files, as Whoosh reads them
            data_start = position + _INT_SIZE + header.tell()
        except (EOFError, pickle.UnpicklingError):  # a header longer than read: Whoosh's way
            postfile.seek(position + _INT_SIZE)
            info = postfile.read_pickle()
            data_start = postfile.tell()
        block_end = position + _INT_SIZE + abs(length)
        last_id = info[1]
        if wanted is not None:
            at = bisect_left(wanted, first_id)
            if at == len(wanted):
                return
            if wanted[at] > last_id:
                if length < 0:
                    return
                position, first_id = block_end, last_id + 1
                continue
        data = postfile.get(data_start, block_end - data_start)
        ids, weights, values = pickle.loads(zlib.decompress(data) if info[3] else data)  # noqa: S301
        ids = list(ids) if matcher._byteids else list(accumulate(ids))
        if weights is None or isinstance(weights, float):
            weights = [weights or 1.0] * len(ids)
        if values is None or isinstance(values, bytes):  # fixed-size values: not positions
            values = [None] * len(ids)
        yield ids, weights, values
        if length < 0:
            return
        position, first_id = block_end, last_id + 1


class _Unsupported(Exception):
    """The query has a part this module does not evaluate; Whoosh does."""


class _Node:
    """Candidate documents with an upper bound of their score, and each one's exact score.

    `certain` means every candidate matches and its bound is its score (no phrase inside)."""

    def __init__(self, scores: dict[int, float], certain: bool = True) -> None:
        self.scores = scores
        self.certain = certain

    def exact(self, doc: int) -> float | None:
        return self.scores.get(doc)


class _Phrase(_Node):
    def __init__(self, scores, values, decode) -> None:
        super().__init__(scores, certain=False)
        self.values, self.decode = values, decode  # per word: {doc: encoded positions}

    def exact(self, doc):
        if doc not in self.scores:
            return None
        starts = set(self.decode(self.values[0][doc]))
        for offset, word_values in enumerate(self.values[1:], start=1):
            starts &= {p - offset for p in self.decode(word_values[doc])}
            if not starts:
                return None
        return self.scores[doc]


class _Sum(_Node):
    """And (every child must match) or Or (any may) over children, scores added up."""

    def __init__(self, children: list[_Node], every: bool, boost: float) -> None:
        self.children, self.every, self.boost = children, every, boost
        if every:
            children_by_size = sorted(children, key=lambda child: len(child.scores))
            docs = set(children_by_size[0].scores)
            for child in children_by_size[1:]:
                docs.intersection_update(child.scores)
            scores = {doc: sum(child.scores[doc] for child in children) * boost for doc in docs}
        else:
            scores = {}
            for child in children:
                for doc, score in child.scores.items():
                    scores[doc] = scores.get(doc, 0.0) + score
            if boost != 1.0:
                scores = {doc: score * boost for doc, score in scores.items()}
        super().__init__(scores, certain=all(child.certain for child in children))

    def exact(self, doc):
        if doc not in self.scores:
            return None
        if self.certain:
            return self.scores[doc]
        total, matched = 0.0, False
        for child in self.children:
            score = child.exact(doc) if doc in child.scores else None
            if score is None:
                if self.every:
                    return None
                continue
            total, matched = total + score, True
        return total * self.boost if matched else None


class _Without(_Node):
    """AndNot: the positive side's documents that the negative side does not match."""

    def __init__(self, positive: _Node, negative: _Node) -> None:
        self.positive, self.negative = positive, negative
        if negative.certain:
            scores = {doc: score for doc, score in positive.scores.items() if doc not in negative.scores}
        else:
            scores = positive.scores
        super().__init__(scores, certain=positive.certain and negative.certain)

    def exact(self, doc):
        if doc not in self.scores:
            return None
        if not self.negative.certain and doc in self.negative.scores and self.negative.exact(doc) is not None:
            return None
        return self.positive.exact(doc)


class _Maybe(_Node):
    """AndMaybe: the required side's documents, plus the optional side's score where it matches."""

    def __init__(self, required: _Node, optional: _Node) -> None:
        self.required, self.optional = required, optional
        scores = {doc: score + optional.scores.get(doc, 0.0) for doc, score in required.scores.items()}
        super().__init__(scores, certain=required.certain and optional.certain)

    def exact(self, doc):
        score = self.required.exact(doc)
        if score is None or doc not in self.optional.scores:
            return score
        return score + (self.optional.exact(doc) or 0.0)


class TopK:
    """Evaluates queries against one searcher; keeps per-searcher data (document lengths)."""

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        self.leaves = [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]
        self._lengths: dict[tuple[int, str], bytes] = {}

    def _leaf_lengths(self, index: int, reader, fieldname: str) -> bytes:
        key = (index, fieldname)
        if key not in self._lengths:
            # The per-document length column is one byte per document (Whoosh's length_to_byte):
            # read it whole instead of one seek and read per scored document.
            column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
            raw = b""
            if column is not None:
                raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
            self._lengths[key] = raw
        return self._lengths[key]

    def _postings(self, fieldname: str, word, boost: float, keep_values: bool, within: set[int] | None):
        """({global doc: score}, {global doc: encoded value}) of one term, only for the documents
        `within` when it is given (the other side of an And found those)."""
        field = self.searcher.schema[fieldname]
        try:
            btext = field.to_bytes(word)
        except ValueError:
            return {}, {}
        if not any((fieldname, btext) in reader for reader, _offset in self.leaves):
            return {}, {}
        scorer = self.searcher.weighting.scorer(self.searcher, fieldname, btext)
        bm25 = type(scorer) is BM25FScorer
        if bm25:
            idf, k1, b, average = scorer.idf, scorer.K1, scorer.B, scorer.avgfl or 1.0
        scores: dict[int, float] = {}
        values: dict[int, bytes] = {}
        for index, (reader, offset) in enumerate(self.leaves):
            if (fieldname, btext) not in reader:
                continue
            matcher = reader._terms.matcher(fieldname, btext, field.format)
            deleted = reader.deleted_docs_set if reader.has_deletions() else ()
            raw_lengths = self._leaf_lengths(index, reader, fieldname) if bm25 else b""
            count = len(raw_lengths)
            wanted = None
            if within is not None:
                wanted = sorted(doc - offset for doc in within if offset <= doc < offset + reader.doc_count_all())
                if not wanted:
                    continue
            for ids, weights, block_values in _blocks(matcher, wanted):
                if bm25:
                    lengths = [_LENGTH_OF_BYTE[raw_lengths[doc]] if doc < count else 0 for doc in ids]
                    block = [idf * weight * (k1 + 1) / (weight + k1 * ((1 - b) + b * length / average))
                             for weight, length in zip(weights, lengths, strict=True)]
                else:  # unscored fields (ids, keywords): Whoosh scores them by their weight
                    block = list(weights)
                if boost != 1.0:
                    block = [score * boost for score in block]
                if offset:
                    ids = [doc + offset for doc in ids]
                if within is not None:
                    keep = [at for at, doc in enumerate(ids) if doc in within]
                    ids, block = [ids[at] for at in keep], [block[at] for at in keep]
                    block_values = [block_values[at] for at in keep]
                scores.update(zip(ids, block, strict=True))
                if keep_values:  # positions (a phrase's words): variable-size values, as stored
                    values.update(zip(ids, block_values, strict=True))
            if deleted:
                for doc in deleted:
                    scores.pop(doc + offset, None)
                    values.pop(doc + offset, None)
        return scores, values

    def _node(self, q, within: set[int] | None = None) -> _Node:
        """The node of query `q`, its candidates limited to `within` when given."""
        if isinstance(q, Term):
            return _Node(self._postings(q.fieldname, q.text, q.boost, False, within)[0])
        if isinstance(q, Phrase):
            if q.slop != 1 or len(q.words) < 2:
                raise _Unsupported(q)
            reader = self.searcher.reader()
            rarest_first = sorted(range(len(q.words)), key=lambda at: reader.doc_frequency(
                q.fieldname, self.searcher.schema[q.fieldname].to_bytes(q.words[at])))
            words: list = [None] * len(q.words)
            for at in rarest_first:  # each word read only where the rarer ones are
                scores, values = self._postings(q.fieldname, q.words[at], 1.0, True, within)
                words[at] = (scores, values)
                within = set(scores) if within is None else within.intersection(scores)
            scores = {doc: sum(word_scores[doc] for word_scores, _ in words) * q.boost for doc in within}
            return _Phrase(scores, [values for _, values in words], self.searcher.schema[q.fieldname].format
                           .decode_positions)
        if isinstance(q, And | Or) and type(q) in (And, Or):
            if isinstance(q, Or) and (q.scale or q.minmatch):
                raise _Unsupported(q)
            positive = [part for part in q.subqueries if not isinstance(part, Not)]
            negative = [part.query for part in q.subqueries if isinstance(part, Not)]
            if not positive or (negative and isinstance(q, Or)):
                raise _Unsupported(q)
            if isinstance(q, And):
                # Rarest part first: the others are read only where it matched.
                reader = self.searcher.reader()
                children = []
                for part in sorted(positive, key=lambda part: part.estimate_size(reader)):
                    child = self._node(part, within)
                    children.append(child)
                    within = set(child.scores) if within is None else within.intersection(child.scores)
                node = _Sum(children, every=True, boost=q.boost)
            else:
                node = _Sum([self._node(part, within) for part in positive], every=False, boost=q.boost)
            for part in negative:
                node = _Without(node, self._node(part, set(node.scores)))
            return node
        if isinstance(q, AndNot) and q.boost == 1.0:
            positive = self._node(q.a, within)
            return _Without(positive, self._node(q.b, set(positive.scores)))
        if isinstance(q, AndMaybe) and q.boost == 1.0:
            required = self._node(q.a, within)
            return _Maybe(required, self._node(q.b, set(required.scores)))
        if q is NullQuery or isinstance(q, type(NullQuery)):
            return _Node({})
        raise _Unsupported(q)

    def search(self, q, limit: int, allowed: set[int] | None, hidden: set[int] | None):
        """([(score, docnum)] best first, up to `limit`; number of matches; whether that number
        is exact), or None when the query has a part this module does not evaluate."""
        try:
            root = self._node(q)
        except _Unsupported:
            return None
        candidates = root.scores
        if allowed is not None or hidden:
            candidates = {doc: score for doc, score in candidates.items()
                          if (allowed is None or doc in allowed) and not (hidden and doc in hidden)}
        if root.certain:
            best = heapq.nsmallest(limit, ((-score, doc) for doc, score in candidates.items()))
            return [(-negative, doc) for negative, doc in best], len(candidates), True
        # Best bound first; a candidate whose exact score is lower goes back in with that score,
        # so a document is taken only once nothing left can beat it.
        heap = [(-score, doc, False) for doc, score in candidates.items()]
        heapq.heapify(heap)
        found: list[tuple[float, int]] = []
        while heap and len(found) < limit:
            negative, doc, checked = heapq.heappop(heap)
            if checked:
                found.append((-negative, doc))
                continue
            score = root.exact(doc)
            if score is not None:
                heapq.heappush(heap, (-score, doc, True))
        if not heap:
            return found, len(found), True
        # Unchecked candidates may not match: their number is an estimate ("about").
        return found, len(candidates), False
