"""What a new version tells the rest of the portal, in the publishing transaction.

- A feed activity (verb "document.version", about the document and its company). Feeds filter
  on company, private group and an optional audience list; a partners-only or staff-only
  document's activity carries as audience the people who may see it now, so its title never
  reaches other followers of the company. (Narrowing a document later hides its earlier
  activities: see services.update_document.)
- A notification (kind "document_version") to each follower of the document who may still see
  it (someone who followed from a partner company loses it when the partnership ends).
- The "document.version.published" event (webhooks, realtime), after commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.companies.lookup import company_by_id
from portal.db import queue_event
from portal.documents.access import audience_ids
from portal.documents.models import Document, DocumentVersion
from portal.feeds.services import followers_of, record_activity
from portal.notifications.services import notify

VERB = "document.version"
NOTIFICATION_KIND = "document_version"


def activity_key(version_id: int) -> str:
    """The feed activity's source_key, so that it can be hidden when the document is narrowed."""
    return f"document-version:{version_id}"


def announce_version(session: Session, document: Document, version: DocumentVersion, *, path: str,
                     actor_person=None, actor_client_id: str | None = None) -> None:
    company = company_by_id(session, document.company_id)
    company_name = company.name if company is not None else "A company"
    actor_person_id = actor_person.id if actor_person is not None else None
    audience = audience_ids(session, document)
    record_activity(
        session, verb=VERB, title=f"{company_name} published {document.title} (version {version.number})",
        url=path, summary=version.note, targets=[("document", document.id), ("company", document.company_id)],
        actor_person_id=actor_person_id, actor_company_id=document.company_id,
        actor_client_id=actor_client_id if actor_person is None else None, company_id=document.company_id,
        audience=audience, source_key=activity_key(version.id), created_at=version.created_at,
        data={"document_id": document.id, "version_id": version.id, "number": version.number})
    followers = followers_of(session, "document", document.id)
    if audience is not None:
        allowed = set(audience)
        followers = [person_id for person_id in followers if person_id in allowed]
    if followers:
        notify(session, person_ids=followers, kind=NOTIFICATION_KIND,
               title=f"New version of {document.title}: version {version.number}", url=path,
               actor_person_id=actor_person_id)
    queue_event(session, "document.version.published", {
        "document_id": document.id, "version_id": version.id, "company_id": document.company_id,
        "number": version.number})
