"""Consent: what a person agreed to share with a client, remembered per client.

The person is asked again only when a client asks for a scope they have not granted it yet
(or the client sends prompt=consent). Scopes are described in words on the consent page.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.auth.provider.models import Consent
from portal.db import utcnow

SCOPE_DESCRIPTIONS = {
    "openid": "Know who you are on this portal (an identifier for your account)",
    "profile": "Your name, profile address, picture and when your profile last changed",
    "email": "Your email address and whether it is confirmed",
    "address": "Your location as written on your profile",
    "phone": "Your phone number (the portal does not store one)",
    "offline_access": "Keep access while you are away (a refresh token)",
    "org": "Your company (name, email domains, partner type) and your role in it",
    "partnerships": "Your company's partnerships (partner companies and the kind of relationship)",
    "entitlements": "What your company is entitled to in the system this app calls for you",
    "ecosystem_roles": "Your roles in the ecosystem (member, company admin, ecosystem admin)",
    "api.read": "Read profiles, companies, forums, search and your recommendations as you see them",
    "feeds.write": "Post updates into your company's feed",
    "documents.write": "Publish new versions of your company's documents",
}


def describe(scopes: list[str]) -> list[tuple[str, str]]:
    """(scope, plain-words description) for the consent page, in request order."""
    return [(scope, SCOPE_DESCRIPTIONS.get(scope, scope)) for scope in scopes]


def granted_scopes(session: Session, user_id: int, client_id: str) -> set[str]:
    row = session.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client_id))
    return set(row.scopes) if row is not None else set()


def needs_consent(session: Session, user_id: int, client_id: str, scopes: list[str]) -> bool:
    """True unless every requested scope was granted to this client before."""
    return not set(scopes) <= granted_scopes(session, user_id, client_id)


def remember(session: Session, user_id: int, client_id: str, scopes: list[str]) -> None:
    """Add `scopes` to what the person granted this client."""
    row = session.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client_id))
    if row is None:
        session.add(Consent(user_id=user_id, client_id=client_id, scopes=sorted(set(scopes))))
    else:
        row.scopes = sorted(set(row.scopes) | set(scopes))
        row.granted_at = utcnow()
    session.flush()


def forget(session: Session, user_id: int, client_id: str) -> None:
    """Withdraw consent: the client must ask again."""
    session.execute(delete(Consent).where(Consent.user_id == user_id, Consent.client_id == client_id))
