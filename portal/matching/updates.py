"""Incremental graph updates from after-commit events: re-read only the rows an event touched.

Handlers are idempotent (every refresh replaces what it re-reads) and tolerate events for rows that
no longer exist (a deleted post contributes nothing, a deleted person's node goes away), so events
may arrive twice, late, or from another process through Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.matching import sources
from portal.matching.graph import PERSON, MatchingGraph

GRAPH_EVENTS = {"forum.post.changed", "forum.mentioned", "forum.reaction", "forum.answer.accepted",
                "forum.thread.changed", "connection.created", "person.changed", "company.changed",
                "introduction.changed", "tag.merged"}


@dataclass
class Touched:
    post_ids: set[int] = field(default_factory=set)
    thread_ids: set[int] = field(default_factory=set)
    person_ids: set[int] = field(default_factory=set)
    company_ids: set[int] = field(default_factory=set)
    authors: set[int] = field(default_factory=set)  # whose forum topics to re-read, all of them
    # (author, thread): a post changes only the author's topics among that thread's tags
    author_threads: set[tuple[int, int]] = field(default_factory=set)
    connections: set[tuple[int, int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.post_ids or self.thread_ids or self.person_ids or self.company_ids or self.authors
                    or self.author_threads or self.connections)

    def size(self) -> int:
        return len(self.post_ids) + 20 * len(self.thread_ids) + len(self.person_ids) + len(self.company_ids)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def touched_from(batch: list[dict]) -> Touched:
    """What a batch of events touched (unknown or malformed events are ignored)."""
    touched = Touched()
    for event in batch:
        name = event.get("event")
        if name in ("forum.post.changed", "forum.mentioned", "forum.reaction"):
            if (post_id := _int(event.get("post_id"))) is not None:
                touched.post_ids.add(post_id)
            if name == "forum.post.changed" and (author := _int(event.get("author_id"))) is not None:
                if (thread_id := _int(event.get("thread_id"))) is not None:
                    touched.author_threads.add((author, thread_id))
                else:
                    touched.authors.add(author)
        elif name in ("forum.answer.accepted", "forum.thread.changed"):
            # Accepting another answer takes the accepted-answer edge from the previous one too.
            if (thread_id := _int(event.get("thread_id"))) is not None:
                touched.thread_ids.add(thread_id)
        elif name == "connection.created":
            ids = [_int(pid) for pid in event.get("person_ids") or ()]
            if len(ids) == 2 and None not in ids:
                touched.connections.add((ids[0], ids[1]))
        elif name == "person.changed":
            if (person_id := _int(event.get("person_id"))) is not None:
                touched.person_ids.add(person_id)
        elif name == "company.changed":
            if (company_id := _int(event.get("company_id"))) is not None:
                touched.company_ids.add(company_id)
        # introduction.changed: exclusions are read at query time; tag.merged comes with the
        # person/company/thread events of everything that carried the tag.
    return touched


def apply_touched(session: Session, graph: MatchingGraph, touched: Touched) -> None:
    """Bring the touched parts of the graph in line with the database."""
    if touched.company_ids:
        sources.refresh_companies(session, graph, touched.company_ids)
    people = set(touched.person_ids)
    for a, b in touched.connections:
        for pid in (a, b):
            if not graph.has((PERSON, pid)):
                people.add(pid)
    if people:
        sources.refresh_people(session, graph, people)
    for a, b in touched.connections:
        graph.add_connection(a, b)
    post_ids = set(touched.post_ids)
    authors = set(touched.authors)
    if touched.thread_ids:
        thread_posts = sources.thread_posts(session, touched.thread_ids)
        post_ids.update(thread_posts)
        authors |= sources.touched_people(session, thread_posts)
    if post_ids:
        sources.refresh_posts(session, graph, post_ids)
    if authors:
        sources.refresh_topics(session, graph, authors)
    partial = {(author, thread) for author, thread in touched.author_threads if author not in authors}
    if partial:
        sources.refresh_thread_topics(session, graph, partial)
