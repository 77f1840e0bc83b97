"""From a domain event to the message one subscribing company receives.

Each translator says which companies an event may concern (from the payload, or one cheap query,
so that the usual case — nobody subscribed — costs little) and builds the message seen from one
of them, reading through the owning packages' services. What a company receives is what that
company may see: its own documents and its active partners' documents open to partners (by the
documents package's own rule), its own partnerships, and activities of its company feed that any
member outside private groups may read (a private group's activity, or one shown only to a few
people, is never sent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from portal.companies.lookup import company_by_id
from portal.errors import NotFound


class Links:
    """Absolute portal URLs outside any request, on the configured public base (PORTAL_BASE_URL)."""

    def __init__(self, app: Flask) -> None:
        self.base = app.config["SERVER_NAME_FOR_MAIL"].rstrip("/")
        parts = urlsplit(self.base)
        self._adapter = app.url_map.bind(parts.netloc or "localhost", script_name=parts.path or "/",
                                         url_scheme=parts.scheme or "https")

    def url(self, endpoint: str, **values) -> str | None:
        try:
            return self._adapter.build(endpoint, values, force_external=True)
        except BuildError:
            return None

    def absolute(self, path: str) -> str:
        """A site path (as feeds store them) made absolute; web addresses stay as they are."""
        return self.base + path if path.startswith("/") else path


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


@dataclass(frozen=True)
class Translator:
    # The companies an event may concern (a cheap first cut: most have no subscription at all).
    companies: Callable[[Session, dict], Iterable[int]]
    build: Callable[[Session, dict, int, Links], tuple[str, dict] | None]
    # The webhook types this event may become (to skip building for nobody).
    types: Callable[[dict], set[str]]

    def may_match(self, payload: dict, subscribed: Iterable[str]) -> bool:
        return bool(self.types(payload) & set(subscribed))


# --- partnerships ---------------------------------------------------------------------------------

PARTNERSHIP_TYPES = {"proposed": "partnership.proposed", "active": "partnership.started",
                     "declined": "partnership.declined", "ended": "partnership.ended"}


def _partnership(session: Session, payload: dict, company_id: int, links: Links) -> tuple[str, dict] | None:
    from portal.partnerships.services import partnership_for

    event_type = PARTNERSHIP_TYPES.get(payload.get("status", ""))
    if event_type is None:
        return None
    try:
        row = partnership_for(session, company_id, int(payload["partnership_id"]))
    except NotFound:
        return None
    partnership = row.partnership
    return event_type, {
        "partnership": {
            "id": partnership.id, "kind": partnership.kind, "status": partnership.status,
            "proposed_by": "partner" if row.incoming else "us",
            "proposed_at": iso(partnership.proposed_at), "answered_at": iso(partnership.answered_at),
            "ended_at": iso(partnership.ended_at), "url": links.url("partnerships.index"),
        },
        "partner": {"id": partnership.other_company_id(company_id), "name": row.other_name,
                    "url": links.url("companies.show", slug=row.other_slug) if row.other_slug else None},
    }


# --- documents ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompanyViewer:
    """What an active member of a company may see: the documents package's rules take a person,
    and a company's endpoint sees what its members see."""

    company_id: int
    membership_status: str = "active"


def _document_companies(session: Session, payload: dict) -> list[int]:
    """The owner, and the companies in an active partnership with it (they may see its
    members- and partners-level documents)."""
    from portal.partnerships.access import active_partner_ids

    owner = payload.get("company_id")
    if not isinstance(owner, int):
        return []
    return [owner, *sorted(active_partner_ids(session, owner))]


def _document_types(payload: dict) -> set[str]:
    return {"document.version.published", "partner.document.version.published"}


def _document_version(session: Session, payload: dict, company_id: int, links: Links) -> tuple[str, dict] | None:
    from portal.documents.access import can_view
    from portal.documents.services import document_for_viewer, version_of

    try:
        document = document_for_viewer(session, int(payload["document_id"]), None)
        version = version_of(session, document, int(payload["number"]))
    except NotFound:
        return None
    own = document.company_id == company_id
    if not own and not can_view(session, CompanyViewer(company_id), document):
        return None  # a staff-only document stays with its company
    if version.link_url:
        content = {"kind": "link", "url": version.link_url}
    else:
        content = {"kind": "file", "file_name": version.file_name, "content_type": version.content_type,
                   "size_bytes": version.size_bytes, "sha256": version.file_sha256,
                   "url": links.url("documents.download", document_id=document.id, number=version.number)}
    data = {
        "document": {"id": document.id, "title": document.title, "visibility": document.visibility,
                     "url": links.url("documents.show", document_id=document.id)},
        "version": {"id": version.id, "number": version.number, "note": version.note,
                    "created_at": iso(version.created_at), "created_by_person_id": version.created_by_person_id,
                    "created_by_client_id": version.created_by_client_id, "content": content},
    }
    if own:
        return "document.version.published", data
    owner = company_by_id(session, document.company_id)
    data["company"] = {"id": document.company_id, "name": owner.name if owner else None,
                       "url": links.url("companies.show", slug=owner.slug) if owner else None}
    return "partner.document.version.published", data


# --- feed activities ------------------------------------------------------------------------------

def _activity(session: Session, payload: dict, company_id: int, links: Links) -> tuple[str, dict] | None:
    from portal.feeds.models import Activity
    from portal.feeds.services import visible_to
    from portal.profiles.visibility import Viewer

    if payload.get("company_id") != company_id or payload.get("group_id") is not None:
        return None
    # The activity was recorded in this very transaction: this is a read of the session's
    # identity map (feeds offers no getter by id; its visibility rule is applied through its service).
    activity = session.get(Activity, int(payload["activity_id"]))
    # A member outside every private group, not among any limited audience: what anyone may read.
    if activity is None or not visible_to(session, Viewer(is_member=True), activity, groups=set()):
        return None
    return "activity.posted", {
        "activity": {"id": activity.id, "verb": activity.verb, "title": activity.title, "summary": activity.summary,
                     "url": links.absolute(activity.url) if activity.url else None,
                     "created_at": iso(activity.created_at), "actor_person_id": activity.actor_person_id,
                     "actor_client_id": activity.actor_client_id,
                     "targets": [list(t) for t in payload.get("targets", [])]},
    }


def _one_company(_session: Session, payload: dict) -> list[int]:
    company_id = payload.get("company_id")
    return [company_id] if isinstance(company_id, int) else []


TRANSLATORS: dict[str, Translator] = {
    "partnership.changed": Translator(
        companies=lambda _s, p: [c for c in p.get("company_ids", []) if isinstance(c, int)], build=_partnership,
        types=lambda p: {PARTNERSHIP_TYPES.get(p.get("status", ""), "")}),
    "document.version.published": Translator(
        companies=_document_companies, build=_document_version, types=_document_types),
    "feed.activity": Translator(
        companies=lambda s, p: _one_company(s, p) if p.get("group_id") is None else [], build=_activity,
        types=lambda p: {"activity.posted"}),
}
