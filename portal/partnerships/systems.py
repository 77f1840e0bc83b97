"""Back-end systems (resource servers known by an audience) and the entitlements each defines.

A system's audience never changes once registered: tokens and grants refer to it, and changing it
would silently move them to a new name. Removing an entitlement keeps its row (`removed_at`) and
records what every company lost, like any other withdrawal.

A system's OAuth client always has the `entitlements` scope (what it was made for) and, when the
company's admin chooses, integration API scopes, so that the system can also post into the
company's feed or publish document versions. The client's scopes are the one record of that
choice: there is no copy on the system to drift from it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.api.spec import SCOPES as API_SCOPE_TEXT
from portal.db import utcnow
from portal.errors import DomainError, NotFound
from portal.partnerships import audit
from portal.partnerships.access import active_partner_ids, record_losses, require_admin_of, snapshot
from portal.partnerships.models import BackendSystem, Entitlement
from portal.text import clean_line, clean_text

ENTITLEMENT_NAME = re.compile(r"^[a-z][a-z0-9_.-]*(:[a-z0-9_.-]+)*$")
_URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:[\x21-\x7e]+$", re.IGNORECASE)
AUDIENCE_MAX, NAME_MAX, DESCRIPTION_MAX, ENTITLEMENT_MAX = 300, 120, 2000, 120
SYSTEM_SCOPE = "entitlements"
API_SCOPES = tuple(API_SCOPE_TEXT)  # api.read, feeds.write, documents.write, in that order


def validate_audience(raw: str) -> str:
    """An absolute http(s) URL with a host (no user name, query or fragment) or a `urn:`."""
    audience = (raw or "").strip()
    if not audience:
        raise DomainError("Please enter the audience, for example https://orders.example.com/api.", field="audience")
    if len(audience) > AUDIENCE_MAX:
        raise DomainError(f"The audience can be at most {AUDIENCE_MAX} characters.", field="audience")
    if any(ord(c) < 33 or ord(c) > 126 or c in "\\<>\"'`{}|^" for c in audience):
        raise DomainError("The audience cannot contain spaces or characters a URL cannot have.", field="audience")
    if audience.lower().startswith("urn:"):
        if not _URN.match(audience):
            raise DomainError("A URN audience looks like urn:example:orders.", field="audience")
        return audience
    try:
        parts = urlsplit(audience)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok, parts = False, None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname or not port_ok:
        raise DomainError("The audience must be an absolute https:// address or a urn:.", field="audience")
    if "@" in parts.netloc or parts.query or parts.fragment or "#" in audience or "?" in audience:
        raise DomainError("The audience cannot have a user name, a ?query or a #fragment.", field="audience")
    return audience


def _name(raw: str) -> str:
    name = clean_line(raw)
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(f"A name can be at most {NAME_MAX} characters.", field="name")
    return name


def _description(raw: str, limit: int = DESCRIPTION_MAX) -> str:
    text = clean_text(raw)
    if len(text) > limit:
        raise DomainError(f"The description can be at most {limit} characters.", field="description")
    return text


def system_by_id(session: Session, system_id: int) -> BackendSystem:
    system = session.get(BackendSystem, system_id)
    if system is None:
        raise NotFound("There is no such system.")
    return system


def register_system(session: Session, actor, *, name: str, audience: str, description: str = "") -> BackendSystem:
    """The actor's company registers a back-end system under a new, unique audience."""
    require_admin_of(actor, actor.company_id if actor else None, "register a system")
    name, audience, description = _name(name), validate_audience(audience), _description(description)
    if session.scalar(select(BackendSystem.id).where(BackendSystem.audience == audience)) is not None:
        raise DomainError("Another system already uses this audience.", field="audience")
    system = BackendSystem(company_id=actor.company_id, name=name, audience=audience, description=description,
                           created_by_id=actor.id)
    session.add(system)
    session.flush()
    audit.record(session, actor_person_id=actor.id, action="system.registered", subject=f"system:{system.id}",
                 details={"system_id": system.id, "name": name, "audience": audience},
                 company_ids=[system.company_id])
    return system


def update_system(session: Session, actor, system: BackendSystem, *, name: str, description: str) -> BackendSystem:
    require_admin_of(actor, system.company_id, "change this system")
    name, description = _name(name), _description(description)
    changes = {k: v for k, v in (("name", name), ("description", description)) if getattr(system, k) != v}
    if changes:
        for key, value in changes.items():
            setattr(system, key, value)
        system.updated_at = utcnow()
        session.flush()
        audit.record(session, actor_person_id=actor.id, action="system.changed", subject=f"system:{system.id}",
                     details={"system_id": system.id, "audience": system.audience, "changes": changes},
                     company_ids=[system.company_id])
    return system


def api_scopes(chosen) -> list[str]:
    """The integration API scopes among `chosen`, in their usual order; DomainError for others."""
    chosen = [scope for scope in dict.fromkeys(chosen or ()) if scope]
    unknown = [scope for scope in chosen if scope not in API_SCOPES]
    if unknown:
        raise DomainError(f"Not an API scope: {', '.join(unknown)} (choose from {', '.join(API_SCOPES)}).",
                          field="api_scopes")
    return [scope for scope in API_SCOPES if scope in chosen]


def _client_of(session: Session, system: BackendSystem):
    from portal.auth.provider import clients

    return clients.client_by_client_id(session, system.oauth_client_id) if system.oauth_client_id else None


def client_api_scopes(session: Session, system: BackendSystem) -> list[str] | None:
    """The API scopes the system's client may ask for; None while it has no (enabled) client."""
    client = _client_of(session, system)
    return None if client is None else [scope for scope in API_SCOPES if scope in (client.scopes or [])]


def create_client(session: Session, actor, system: BackendSystem, *, scopes=()) -> tuple[str, str]:
    """An OAuth client (client credentials) for the system to call the portal, or a new secret for
    the one it has. A new client gets `entitlements` and the chosen API `scopes` (a new secret
    leaves an existing client's scopes alone: set_api_scopes changes them). Returns
    (client_id, secret); the secret is shown once and stored hashed."""
    from portal.auth.provider import clients

    require_admin_of(actor, system.company_id, "manage this system's client")
    chosen = api_scopes(scopes)
    existing = _client_of(session, system)
    details = {"system_id": system.id, "audience": system.audience}
    if existing is not None:
        secret = clients.new_secret(session, existing)
        action, client_id = "system.client_secret_replaced", existing.client_id
    else:
        client, secret = clients.register_client(
            session, name=system.name, owner_company_id=system.company_id, redirect_uris=[],
            grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_basic",  # noqa: S106
            scopes=[SYSTEM_SCOPE, *chosen], audience=system.audience, created_by_person_id=actor.id)
        system.oauth_client_id, client_id, action = client.client_id, client.client_id, "system.client_created"
        details["api_scopes"] = chosen
        session.flush()
    audit.record(session, actor_person_id=actor.id, action=action, subject=f"system:{system.id}",
                 details={**details, "client_id": client_id}, company_ids=[system.company_id])
    return client_id, secret


def set_api_scopes(session: Session, actor, system: BackendSystem, scopes) -> list[str]:
    """Choose which integration API scopes the system's client may ask for (it keeps
    `entitlements`). Taking one away also stops tokens issued before from using it at the API.
    Returns the scopes now allowed."""
    from portal.auth.provider import clients

    require_admin_of(actor, system.company_id, "change this system's client")
    chosen = api_scopes(scopes)
    client = _client_of(session, system)
    if client is None:
        raise DomainError("Create the system's OAuth client first.", field="api_scopes")
    before = [scope for scope in API_SCOPES if scope in (client.scopes or [])]
    if before == chosen:
        return chosen
    others = [scope for scope in client.scopes or [] if scope not in API_SCOPES and scope != SYSTEM_SCOPE]
    clients.set_scopes(session, client, [SYSTEM_SCOPE, *others, *chosen])
    audit.record(session, actor_person_id=actor.id, action="system.client_scopes_changed",
                 subject=f"system:{system.id}",
                 details={"system_id": system.id, "audience": system.audience, "client_id": client.client_id,
                          "api_scopes": chosen, "added": [s for s in chosen if s not in before],
                          "removed": [s for s in before if s not in chosen]},
                 company_ids=[system.company_id])
    return chosen


def entitlements_of(session: Session, system_id: int, *, include_removed: bool = False) -> list[Entitlement]:
    query = select(Entitlement).where(Entitlement.system_id == system_id).order_by(Entitlement.name)
    if not include_removed:
        query = query.where(Entitlement.removed_at.is_(None))
    return list(session.scalars(query))


def entitlement_by_id(session: Session, system: BackendSystem, entitlement_id: int) -> Entitlement:
    entitlement = session.get(Entitlement, entitlement_id)
    if entitlement is None or entitlement.system_id != system.id or entitlement.removed_at is not None:
        raise NotFound("There is no such entitlement.")
    return entitlement


def define_entitlement(session: Session, actor, system: BackendSystem, *, name: str,
                       description: str = "") -> Entitlement:
    """Add an entitlement such as `orders:read` to a system (or bring back a removed one)."""
    require_admin_of(actor, system.company_id, "define entitlements")
    name = (name or "").strip()
    if not name:
        raise DomainError("Please enter the entitlement's name, for example orders:read.", field="name")
    if len(name) > ENTITLEMENT_MAX or not ENTITLEMENT_NAME.match(name):
        raise DomainError("Use lower-case letters, digits, '_', '.', '-' and ':' between parts, starting with a "
                          f"letter (for example orders:read), at most {ENTITLEMENT_MAX} characters.", field="name")
    description = _description(description, 500)
    entitlement = session.scalar(select(Entitlement).where(Entitlement.system_id == system.id,
                                                           Entitlement.name == name))
    if entitlement is not None and entitlement.removed_at is None:
        raise DomainError(f"{system.name} already has the entitlement {name}.", field="name")
    if entitlement is None:
        entitlement = Entitlement(system_id=system.id, name=name)
        session.add(entitlement)
    entitlement.description, entitlement.removed_at = description, None
    session.flush()
    audit.record(session, actor_person_id=actor.id, action="entitlement.defined",
                 subject=f"entitlement:{entitlement.id}",
                 details={"system_id": system.id, "audience": system.audience, "entitlement": name,
                          "description": description}, company_ids=[system.company_id])
    return entitlement


def remove_entitlement(session: Session, actor, system: BackendSystem, entitlement: Entitlement) -> int:
    """Withdraw an entitlement from everyone; returns how many companies lost it."""
    require_admin_of(actor, system.company_id, "remove entitlements")
    holders = {system.company_id} | active_partner_ids(session, system.company_id)
    before = snapshot(session, [(company_id, system) for company_id in sorted(holders)])
    entitlement.removed_at = utcnow()
    lost = record_losses(session, before, "entitlement.removed")
    audit.record(session, actor_person_id=actor.id, action="entitlement.removed",
                 subject=f"entitlement:{entitlement.id}",
                 details={"system_id": system.id, "audience": system.audience, "entitlement": entitlement.name,
                          "entitlements_revoked": lost}, company_ids=[system.company_id])
    return lost
