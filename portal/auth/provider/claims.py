"""Which claims about a person (or a client's company) go into ID tokens, userinfo and access tokens.

Scopes decide what is released (https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims):
  openid          sub
  profile         name, given_name / family_name (when the name splits), preferred_username,
                  profile, picture, updated_at (locale and the rest: nothing stored, so absent)
  email           email, email_verified
  address         address.formatted from the profile's location (absent when empty)
  phone           nothing stored, so nothing released
  org             org {id, name, domains, partner_type}, org_role
  partnerships    partnerships [{org_id, name, kind}] of the person's company
  entitlements    entitlements the company holds for the token's audience
  ecosystem_roles ecosystem_roles (member, company_admin, ecosystem_admin)
Company, partnership and entitlement facts come from portal.partnerships.claims.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.partnerships import claims as partner_claims
from portal.profiles.services import person_for_user

SCOPE_CLAIMS = {
    "openid": ("sub",),
    "profile": ("name", "given_name", "family_name", "preferred_username", "profile", "picture", "updated_at"),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
    "org": ("org", "org_role"),
    "partnerships": ("partnerships",),
    "entitlements": ("entitlements",),
    "ecosystem_roles": ("ecosystem_roles",),
}
CLAIMS_SUPPORTED = sorted({"iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "at_hash", "sid",
                           *(claim for names in SCOPE_CLAIMS.values() for claim in names)})


@dataclass(frozen=True)
class ProfileLinks:
    """Builds absolute URLs for a person's profile page and avatar (the web layer knows the routes)."""

    profile: Callable[[str], str]   # slug -> URL
    picture: Callable[[str], str]   # avatar file token -> URL


def subject(user: User) -> str:
    """The `sub` of a person: their account id, never reassigned."""
    return str(user.id)


def _split_name(name: str) -> tuple[str | None, str | None]:
    parts = name.split()
    if len(parts) < 2:
        return None, None
    return " ".join(parts[:-1]), parts[-1]


def _active_company_id(person) -> int | None:
    if person is None or person.company_id is None or person.membership_status != "active":
        return None
    return person.company_id


def user_claims(session: Session, user: User, scopes: list[str] | set[str], *, audience: str | None = None,
                links: ProfileLinks | None = None) -> dict:
    """The claims about `user` that `scopes` release (for an ID token or the userinfo response)."""
    scopes = set(scopes)
    claims: dict = {"sub": subject(user)}
    person = person_for_user(session, user.id)
    if "profile" in scopes and person is not None:
        claims["name"] = person.name
        given, family = _split_name(person.name)
        if given:
            claims["given_name"], claims["family_name"] = given, family
        claims["preferred_username"] = person.slug
        claims["updated_at"] = int(person.updated_at.timestamp())
        if links is not None:
            claims["profile"] = links.profile(person.slug)
            if person.avatar_file:
                claims["picture"] = links.picture(person.avatar_file)
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified_at is not None
    if "address" in scopes and person is not None and person.location.strip():
        claims["address"] = {"formatted": person.location.strip()}
    company_id = _active_company_id(person)
    if "org" in scopes and person is not None:
        org = partner_claims.org_claims(session, person.id)
        if org is not None:
            claims["org"] = org
            claims["org_role"] = partner_claims.org_role(session, person.id)
    if "partnerships" in scopes and company_id is not None:
        claims["partnerships"] = partner_claims.partnership_claims(session, company_id)
    if "entitlements" in scopes and audience and company_id is not None:
        claims["entitlements"] = partner_claims.entitlements_for(session, company_id, audience)
    if "ecosystem_roles" in scopes:
        roles = ["member"]
        if person is not None and company_id is not None and person.company_role == "admin":
            roles.append("company_admin")
        if user.is_ecosystem_admin:
            roles.append("ecosystem_admin")
        claims["ecosystem_roles"] = roles
    return claims


def company_of_user(session: Session, user: User) -> int | None:
    """The company a user's tokens speak for (their active membership), or None."""
    return _active_company_id(person_for_user(session, user.id))


def company_claims(session: Session, company_id: int | None, audience: str | None) -> dict:
    """Claims of a client-credentials access token: the client's company as `org`, and what
    that company holds for the audience."""
    claims: dict = {}
    if company_id is None:
        return claims
    from portal.companies.lookup import company_by_id
    from portal.companies.services import company_domains

    company = company_by_id(session, company_id)
    if company is not None:
        claims["org"] = {"id": str(company.id), "name": company.name,
                         "domains": company_domains(session, company.id), "partner_type": company.partner_type}
    if audience:
        claims["entitlements"] = partner_claims.entitlements_for(session, company_id, audience)
    return claims
