"""What the API's write operations do, through the owning features' services.

A member system writes for the company its OAuth client belongs to; a person's token writes for
the company the person is an active member of (activities: its admins only, as they speak for
the company; documents: its staff, as on the web). Services flush; the view commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.errors import NotFound, PermissionDenied


def post_company_activity(session: Session, *, company_id: int | None, client_id: str, person,
                          verb: str, title: str, url: str, summary: str):
    """Record an activity in the company's feed (its followers see it); returns the Activity."""
    from portal.feeds.services import record_activity

    if company_id is None:
        raise PermissionDenied("This token speaks for no company, so it has no company feed to post into.")
    if person is not None and person.company_role != "admin":
        raise PermissionDenied("Only the company's admins post into its feed.")
    return record_activity(
        session, verb=verb, title=title, url=url, summary=summary, targets=[("company", company_id)],
        actor_person_id=person.id if person is not None else None, actor_company_id=company_id,
        actor_client_id=client_id, company_id=company_id, data={"source": "api"})


def document_to_publish(session: Session, document_id: int, *, company_id: int | None, person):
    """The document a caller may publish a version of. Another company's document is a 404 for a
    system (its existence is not the system's business); for a person, what they may not see is
    a 404 and what they see but may not publish to is refused by publish_version (403)."""
    from portal.documents.services import document_for, document_for_viewer

    if person is not None:
        return document_for(session, person, document_id)
    document = document_for_viewer(session, document_id, None)
    if company_id is None or document.company_id != company_id:
        raise NotFound("There is no such document.")
    return document


def publish(session: Session, document, *, person, client_id: str, upload=None, link: str | None = None,
            note: str = ""):
    from portal.documents.services import publish_version

    if person is not None:
        return publish_version(session, document, actor_person=person, upload=upload, link=link, note=note)
    return publish_version(session, document, actor_client_id=client_id, upload=upload, link=link, note=note)
