"""What can be followed: checking a target exists and is visible, and naming it in lists.

Each kind is resolved through its own feature's services (profiles, companies, forums, tags,
documents), so feeds never decide on its own who may read a thread or a document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.errors import NotFound
from portal.profiles.visibility import Viewer


@dataclass(frozen=True)
class TargetInfo:
    kind: str
    id: int
    label: str
    endpoint: str  # where its page is: a Flask endpoint and its values (views build the URL)
    values: dict


def _thread_readable(session: Session, thread_id: int, viewer: Viewer | None):
    from portal.forums.access import can_read
    from portal.forums.models import Category, Thread

    thread = session.get(Thread, thread_id)
    if thread is None or thread.deleted_at is not None:
        return None
    if viewer is not None and not can_read(session, session.get(Category, thread.category_id), viewer):
        return None
    return thread


def _document(session: Session, document_id: int, viewer: Viewer | None):
    """A document through the documents package, when it is there (it is built alongside)."""
    try:
        from portal.documents import services as documents
    except ImportError:
        return None
    getter = getattr(documents, "document_for_viewer", None)
    if getter is None:
        return None
    try:
        return getter(session, document_id, viewer)
    except NotFound:
        return None


def describe(session: Session, kind: str, target_id: int, viewer: Viewer | None) -> TargetInfo | None:
    """The target's name and page, or None when it does not exist or the viewer may not see it."""
    if kind == "person":
        from portal.profiles.services import persons_by_ids

        person = persons_by_ids(session, [target_id]).get(target_id)
        return person and TargetInfo(kind, target_id, person.name, "profiles.show", {"slug": person.slug})
    if kind == "company":
        from portal.companies.services import company_summary

        summary = company_summary(session, target_id)
        return summary and TargetInfo(kind, target_id, summary[0], "companies.show", {"slug": summary[1]})
    if kind == "thread":
        thread = _thread_readable(session, target_id, viewer)
        return thread and TargetInfo(kind, target_id, thread.title, "forums.thread",
                                     {"thread_id": thread.id, "slug": thread.slug})
    if kind == "tag":
        from portal.tags.models import Tag

        tag = session.get(Tag, target_id)
        return tag and TargetInfo(kind, target_id, tag.name, "tags.show", {"key": tag.key})
    if kind == "document":
        document = _document(session, target_id, viewer)
        return document and TargetInfo(kind, target_id, document.title, "documents.show",
                                       {"document_id": document.id})
    return None


def check_followable(session: Session, kind: str, target_id: int, viewer: Viewer | None) -> None:
    if viewer is not None and describe(session, kind, target_id, viewer) is None:
        raise NotFound(f"There is no such {kind} to follow.")


def describe_all(session: Session, targets: Iterable[tuple[str, int]], viewer: Viewer) -> list[TargetInfo]:
    """The followed targets that still exist and that the viewer may see, in the given order."""
    found = (describe(session, kind, target_id, viewer) for kind, target_id in targets)
    return [info for info in found if info is not None]
