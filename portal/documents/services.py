"""Company documents: create, edit, publish versions, and read them with visibility enforced.

Services flush, never commit. `publish_version` is also what the integration API calls for a
member system (`actor_client_id`), so nothing here touches Flask: an uploaded file arrives as a
`ReceivedUpload` that `DocumentStore.receive` (portal/documents/storage.py) already checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.documents import access
from portal.documents.announce import activity_key, announce_version
from portal.documents.models import VISIBILITY_LABELS, Document, DocumentVersion
from portal.documents.storage import ReceivedUpload
from portal.errors import DomainError, NotFound
from portal.feeds.activities import hide_activities
from portal.profiles.services import persons_by_ids
from portal.profiles.visibility import Viewer
from portal.text import clean_line, clean_text

TITLE_MAX, DESCRIPTION_MAX, NOTE_MAX, LINK_MAX = 200, 5000, 1000, 2000


def document_path(document_id: int) -> str:
    """The document page's address (the blueprint's route; kept here for feed items and notifications)."""
    return f"/documents/{document_id}"


@dataclass
class DocumentRow:
    """A document in a list, with its latest version."""

    document: Document
    latest: DocumentVersion | None


def _clean_fields(title: str, description: str, visibility: str) -> tuple[str, str, str]:
    title = clean_line(title)
    if not title:
        raise DomainError("Please give the document a title.", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(f"A title can be at most {TITLE_MAX} characters.", field="title")
    description = clean_text(description)
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(f"A description can be at most {DESCRIPTION_MAX} characters.", field="description")
    if visibility not in VISIBILITY_LABELS:
        raise DomainError("Please choose who may see the document.", field="visibility")
    return title, description, visibility


def validate_link(raw: str | None) -> str:
    """An http(s) address with a host, no credentials in it, at most LINK_MAX characters."""
    link = (raw or "").strip()
    if not link:
        raise DomainError("Please enter the link's address.", field="link")
    if len(link) > LINK_MAX or any(ch.isspace() or ord(ch) < 32 for ch in link):
        raise DomainError("That link is not a valid web address.", field="link")
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise DomainError("That link is not a valid web address.", field="link") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise DomainError("A link must start with http:// or https://.", field="link")
    if not parts.hostname:
        raise DomainError("That link has no host name.", field="link")
    if parts.username is not None or parts.password is not None:
        raise DomainError("A link must not contain a user name or password.", field="link")
    return link


def create_document(session: Session, company_id: int, *, title: str, description: str = "",
                    visibility: str = "members", actor_person=None, actor_client_id: str | None = None) -> Document:
    """A new document of the company, without versions yet (publish_version adds them)."""
    access.require_publisher(session, company_id, actor_person=actor_person, actor_client_id=actor_client_id)
    title, description, visibility = _clean_fields(title, description, visibility)
    document = Document(company_id=company_id, title=title, description=description, visibility=visibility,
                        created_by_person_id=actor_person.id if actor_person is not None else None)
    session.add(document)
    session.flush()
    return document


def update_document(session: Session, document: Document, *, title: str, description: str, visibility: str,
                    actor_person=None, actor_client_id: str | None = None) -> Document:
    """Change the title, description or who may see it (versions stay as they are). Narrowing who
    may see it hides the feed items of its earlier versions: they were shown to a wider audience."""
    access.require_publisher(session, document.company_id, actor_person=actor_person,
                             actor_client_id=actor_client_id)
    previous = document.visibility
    document.title, document.description, document.visibility = _clean_fields(title, description, visibility)
    document.updated_at = utcnow()
    session.flush()
    if access.is_narrower(document.visibility, previous):
        version_ids = session.scalars(select(DocumentVersion.id).where(DocumentVersion.document_id == document.id))
        hide_activities(session, [activity_key(v) for v in version_ids], True)
    return document


def _next_number(session: Session, document: Document, published_at: datetime) -> int:
    """Take the next version number; the UPDATE locks the row until commit, so numbers never repeat."""
    number = session.execute(
        update(Document).where(Document.id == document.id)
        .values(version_count=Document.version_count + 1, updated_at=published_at)
        .returning(Document.version_count)
        .execution_options(synchronize_session=False)).scalar_one()
    session.expire(document, ["version_count", "updated_at"])
    return number


def publish_version(session: Session, document: Document, *, actor_person=None, actor_client_id: str | None = None,
                    upload: ReceivedUpload | None = None, link: str | None = None,
                    note: str = "", published_at: datetime | None = None) -> DocumentVersion:
    """Add the next version (a checked upload or an http(s) link), then announce it in the same
    transaction: feed activity, notifications to followers who may see it, and the
    "document.version.published" event. `published_at`: for generated history (the demo); now
    otherwise."""
    access.require_publisher(session, document.company_id, actor_person=actor_person,
                             actor_client_id=actor_client_id)
    if (upload is None) == (not (link or "").strip()):
        raise DomainError("Please choose a file or enter a link (one of them).", field="file")
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise DomainError(f"A note can be at most {NOTE_MAX} characters.", field="note")
    link_url = validate_link(link) if upload is None else None
    published_at = published_at or utcnow()
    version = DocumentVersion(
        document_id=document.id, number=_next_number(session, document, published_at), link_url=link_url,
        note=note, created_at=published_at,
        created_by_person_id=actor_person.id if actor_person is not None else None,
        created_by_client_id=actor_client_id if actor_person is None else None)
    if upload is not None:
        version.file_sha256 = upload.place()
        version.file_name, version.content_type, version.size_bytes = (
            upload.file_name, upload.content_type, upload.size)
    session.add(version)
    session.flush()
    announce_version(session, document, version, path=document_path(document.id),
                     actor_person=actor_person, actor_client_id=actor_client_id)
    return version


def document_for(session: Session, viewer, document_id: int) -> Document:
    """The document if `viewer` (a Person or None) may see it; NotFound otherwise, so that a
    private document's existence is not revealed."""
    document = session.get(Document, document_id)
    if document is None or not access.can_view(session, viewer, document):
        raise NotFound("There is no such document.")
    return document


def document_for_viewer(session: Session, document_id: int, viewer: Viewer | None) -> Document:
    """`document_for` with a profiles Viewer, as feeds and realtime hold them. Like feeds' other
    targets, viewer None asks only whether the document exists."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("There is no such document.")
    if viewer is None:
        return document
    person = persons_by_ids(session, [viewer.person_id]).get(viewer.person_id) if viewer.person_id else None
    if not viewer.is_member or not access.can_view(session, person, document):
        raise NotFound("There is no such document.")
    return document


def versions_of(session: Session, document: Document) -> list[DocumentVersion]:
    """Every version, newest first."""
    return list(session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document.id)
                                .order_by(DocumentVersion.number.desc())))


def version_of(session: Session, document: Document, number: int) -> DocumentVersion:
    version = session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == number))
    if version is None:
        raise NotFound("There is no such version.")
    return version


def list_company_documents(session: Session, viewer, company_id: int) -> list[DocumentRow]:
    """The company's documents `viewer` may see, most recently changed first, each with its latest version."""
    levels = access.visible_levels(session, viewer, company_id)
    if not levels:
        return []
    documents = list(session.scalars(select(Document).where(
        Document.company_id == company_id, Document.visibility.in_(sorted(levels)))
        .order_by(Document.updated_at.desc(), Document.id.desc())))
    latest = {}
    if documents:  # version_count is the latest version's number
        latest = {v.document_id: v for v in session.scalars(select(DocumentVersion).join(Document, and_(
            Document.id == DocumentVersion.document_id, DocumentVersion.number == Document.version_count))
            .where(Document.id.in_([d.id for d in documents])))}
    return [DocumentRow(d, latest.get(d.id)) for d in documents]


def referenced_files(session: Session) -> set[str]:
    """Every SHA-256 a version points to (what `portal documents prune` must keep)."""
    return set(session.scalars(select(DocumentVersion.file_sha256).where(DocumentVersion.file_sha256.is_not(None))))
