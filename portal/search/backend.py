"""The one interface both search backends implement, and what a viewer may find."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from portal.search.documents import CONNECTIONS, MEMBERS, PUBLIC, SearchDocument
from portal.search.query import Results, SearchQuery


class SearchUnavailable(Exception):
    """The index is missing, damaged or being rebuilt; the page says so instead of failing."""


@dataclass(frozen=True)
class Access:
    """What one viewer may find: forum scopes, and which profile text levels of whom."""

    scopes: frozenset[str]
    is_member: bool = False
    sees_everything: bool = False  # ecosystem admins see every field of every profile
    connection_owner_ids: frozenset[int] = frozenset()  # their connections, and themselves

    def visible_text(self, doc_text: dict[str, str], owner_id: int | None) -> str:
        """The part of a document's text this viewer may see (for snippets)."""
        parts = [doc_text.get(PUBLIC, "")]
        if self.is_member or self.sees_everything:
            parts.append(doc_text.get(MEMBERS, ""))
        if self.sees_everything or (owner_id is not None and owner_id in self.connection_owner_ids):
            parts.append(doc_text.get(CONNECTIONS, ""))
        return " ".join(p for p in parts if p)


class SearchBackend(Protocol):
    name: str

    # `session` is the caller's database session: the PostgreSQL backend reads and writes in it
    # (the caller commits), the Whoosh backend ignores it.
    def index(self, session: Session, docs: Iterable[SearchDocument]) -> int:
        """Add or replace these documents; returns how many were written."""

    def delete(self, session: Session, doc_ids: Iterable[str]) -> None:
        """Remove these documents (ids that are not there are ignored)."""

    def search(self, session: Session, query: SearchQuery, access: Access) -> Results:
        """One page of results this viewer may see. Raises SearchUnavailable."""

    def rebuild(self, session: Session, docs: Iterable[SearchDocument]) -> int:
        """Replace the whole index with these documents; searches keep working meanwhile."""

    def status(self) -> str:
        """"ready", "rebuilding" or "missing"."""

    def doc_ids_with_tag(self, session: Session, tag_key: str) -> list[str]:
        """Documents indexed with this tag key (a merged tag's documents must be re-read)."""

    def note_pending(self, doc_ids: Iterable[str]) -> None:
        """Remember documents that changed while a rebuild runs, which may have read them before."""

    def take_pending(self) -> list[str]:
        """The documents noted while the last rebuild ran (and forget them)."""

    def similar_titles(self, session: Session, text: str, access: Access, limit: int) -> list[tuple[str, str]]:
        """(title, url) of threads whose title or text resembles `text`."""
