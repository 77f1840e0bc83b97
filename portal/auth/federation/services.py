"""Company identity providers: configuration, lookup by email domain, require-SSO, and what a
verified sign-in does (log in a linked account, provision a new person, or ask the owner of an
existing account to prove control before linking).

Linking rule: an existing local account is linked to a provider's identity only after its owner
enters the account's password once (`link_with_password`). Never automatically, never when the
provider says the email is unverified, never when the local account's email was never verified
(someone may have signed up with an address they do not own, waiting for its owner to arrive).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.auth.federation.client import check_endpoint_url
from portal.auth.federation.models import CompanyIdentityProvider, FederatedIdentity, FederationDomain
from portal.auth.federation.secrets import decrypt_secret, encrypt_secret
from portal.auth.models import User
from portal.companies.models import Company
from portal.db import utcnow
from portal.errors import DomainError

# Profile fields a claim may fill, and the claims used when the admin names none.
MAPPED_FIELDS = {"name": "name", "job_title": "", "headline": ""}
FIELD_LIMITS = {"name": 120, "job_title": 120, "headline": 160}
_CLAIM_NAME = re.compile(r"^[A-Za-z0-9_:./-]{1,100}$")
# Argon2 never produces this, so no password verifies against it (the account signs in by SSO).
UNUSABLE_PASSWORD_PREFIX = "!federated:"  # noqa: S105 - a marker, not a password

SSO_REQUIRED_MESSAGE = ("Your company signs you in to PartnerMesh through its own identity provider. "
                        "Use \u201cContinue with your company's sign-in\u201d below.")


class SSORequired(DomainError):
    """A password login for a domain that requires company sign-in."""


@dataclass
class ProviderSettings:
    """What a company admin enters on the configuration page."""

    issuer: str
    client_id: str
    client_secret: str = ""  # empty: keep the stored one
    domains: list[str] = field(default_factory=list)
    sso_domains: list[str] = field(default_factory=list)
    claim_mapping: dict = field(default_factory=dict)
    button_label: str = ""


@dataclass
class SignIn:
    """The outcome of a verified sign-in: a user to log in, or an account waiting for proof."""

    user: User | None = None
    provisioned: bool = False
    link_user: User | None = None  # the existing account whose owner must prove control


# --- Configuration ---------------------------------------------------------------------------

def provider_for_company(session: Session, company_id: int) -> CompanyIdentityProvider | None:
    return session.scalar(select(CompanyIdentityProvider).where(CompanyIdentityProvider.company_id == company_id))


def provider_domains(session: Session, provider_id: int) -> list[FederationDomain]:
    return list(session.scalars(select(FederationDomain).where(FederationDomain.provider_id == provider_id)
                                .order_by(FederationDomain.domain)))


def _clean_mapping(raw: dict) -> dict:
    mapping: dict = {}
    for key in (*MAPPED_FIELDS, "role_claim"):
        value = (raw.get(key) or "").strip()
        if value and not _CLAIM_NAME.match(value):
            raise DomainError(f"{value[:40]!r} is not a claim name (letters, digits, _ : . / -).", field=key)
        mapping[key] = value
    values = raw.get("admin_values") or []
    if isinstance(values, str):
        values = values.split(",")
    mapping["admin_values"] = [v.strip() for v in values if v.strip()][:20]
    if mapping["admin_values"] and not mapping["role_claim"]:
        raise DomainError("Name the claim that carries these values.", field="role_claim")
    return mapping


def _company_domain_list(session: Session, company: Company, raw: Iterable[str], field_name: str) -> list[str]:
    from portal.companies.services import company_domains, normalize_domain

    own = set(company_domains(session, company.id))
    domains: list[str] = []
    for item in raw:
        if not item.strip():
            continue
        try:
            domain = normalize_domain(item)
        except DomainError as error:
            raise DomainError(error.message, field=field_name) from error
        if domain not in own:
            raise DomainError(f"{domain} is not one of {company.name}'s email domains"
                              f"{' (' + ', '.join(sorted(own)) + ')' if own else ''}. "
                              "Add it to the company profile first.", field=field_name)
        domains.append(domain)
    return list(dict.fromkeys(domains))


def save_provider(session: Session, company: Company, settings: ProviderSettings, *, secret_key: str,
                  discover: Callable[[str], dict], allow_http_loopback: bool = False) -> CompanyIdentityProvider:
    """Create or update the company's provider. `discover(issuer)` fetches and checks the discovery
    document (raising DomainError(field="issuer")): a provider is only saved when it answers."""
    issuer = (settings.issuer or "").strip()
    if not issuer:
        raise DomainError("Please enter the issuer URL.", field="issuer")
    if len(issuer) > 500:
        raise DomainError("The issuer can be at most 500 characters.", field="issuer")
    check_endpoint_url(issuer, allow_http_loopback=allow_http_loopback)
    client_id = (settings.client_id or "").strip()
    if not client_id or len(client_id) > 255:
        raise DomainError("Please enter the client ID the provider gave you (at most 255 characters).",
                          field="client_id")
    provider = provider_for_company(session, company.id)
    if provider is None and not settings.client_secret:
        raise DomainError("Please enter the client secret.", field="client_secret")
    if len(settings.client_secret or "") > 1000:
        raise DomainError("The client secret can be at most 1000 characters.", field="client_secret")
    domains = _company_domain_list(session, company, settings.domains, "domains")
    if not domains:
        raise DomainError("Name at least one of the company's email domains.", field="domains")
    sso_domains = _company_domain_list(session, company, settings.sso_domains, "sso_domains")
    if set(sso_domains) - set(domains):
        raise DomainError("A domain that requires company sign-in must be one this provider serves.",
                          field="sso_domains")
    for domain in domains:
        owner = session.get(FederationDomain, domain)
        if owner is not None and (provider is None or owner.provider_id != provider.id):
            raise DomainError(f"{domain} is served by another identity provider.", field="domains")
    mapping = _clean_mapping(settings.claim_mapping)
    label = (settings.button_label or "").strip()[:120]
    discover(issuer)

    if provider is None:
        provider = CompanyIdentityProvider(company_id=company.id)
        session.add(provider)
    elif provider.issuer != issuer:
        # Subjects are only unique per issuer: identities asserted by the old one must not carry over.
        session.execute(delete(FederatedIdentity).where(FederatedIdentity.provider_id == provider.id))
    provider.issuer, provider.client_id = issuer, client_id
    provider.claim_mapping, provider.button_label = mapping, label
    if settings.client_secret:
        provider.client_secret_encrypted = encrypt_secret(secret_key, settings.client_secret)
    session.flush()
    session.execute(delete(FederationDomain).where(FederationDomain.provider_id == provider.id))
    for domain in domains:
        session.add(FederationDomain(domain=domain, provider_id=provider.id, require_sso=domain in sso_domains))
    session.flush()
    return provider


def delete_provider(session: Session, company: Company) -> bool:
    provider = provider_for_company(session, company.id)
    if provider is None:
        return False
    session.delete(provider)
    session.flush()
    return True


def client_secret(provider: CompanyIdentityProvider, secret_key: str) -> str:
    return decrypt_secret(secret_key, provider.client_secret_encrypted)


# --- Lookup by email -------------------------------------------------------------------------

def _domain_of(email: str) -> str:
    return (email or "").rsplit("@", 1)[-1].strip().lower().rstrip(".") if "@" in (email or "") else ""


def provider_for_email(session: Session, email: str) -> CompanyIdentityProvider | None:
    """The provider that signs in addresses of this email's domain (exact domain, no subdomains)."""
    row = session.get(FederationDomain, _domain_of(email)) if _domain_of(email) else None
    return session.get(CompanyIdentityProvider, row.provider_id) if row else None


def sso_required_for(session: Session, email: str) -> CompanyIdentityProvider | None:
    """The provider when this address's domain requires company sign-in, else None."""
    row = session.get(FederationDomain, _domain_of(email)) if _domain_of(email) else None
    return session.get(CompanyIdentityProvider, row.provider_id) if row and row.require_sso else None


def refuse_password_login(session: Session, user: User) -> None:
    """Raise SSORequired for a password login to a domain that requires SSO. Ecosystem admins are
    exempt, so that a broken provider can never lock the people who fix it out."""
    if not user.is_ecosystem_admin and sso_required_for(session, user.email) is not None:
        raise SSORequired(SSO_REQUIRED_MESSAGE)


def password_account_refusal(session: Session, email: str) -> str | None:
    """Why `email` may not sign up with a password or reset one, or None when it may: addresses
    of a domain that requires company sign-in have no password here (the login rule, extended to
    the two other ways of getting one)."""
    if sso_required_for(session, email) is None:
        return None
    return (f"Addresses at {_domain_of(email)} sign in to PartnerMesh through their company's identity "
            "provider, so they need no PartnerMesh password: use \u201cContinue with your company's "
            "sign-in\u201d on the login page.")


def password_reset_exempt(session: Session, email: str) -> bool:
    """Ecosystem admins keep password resets on a domain that requires company sign-in (as for
    logins: a broken provider must not lock out the people who fix it)."""
    from portal.auth.services import user_by_email

    user = user_by_email(session, email)
    return user is not None and user.is_ecosystem_admin


# --- Claims ------------------------------------------------------------------------------------

def _claim_text(claims: dict, name: str, limit: int) -> str:
    value = claims.get(name) if name else None
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""


def mapped_profile(claims: dict, mapping: dict) -> dict[str, str]:
    """Profile fields from the claims, as the provider's mapping says (name falls back to
    given_name + family_name, then to the address's local part)."""
    fields = {key: _claim_text(claims, mapping.get(key) or default, FIELD_LIMITS[key])
              for key, default in MAPPED_FIELDS.items()}
    if not fields["name"]:
        fields["name"] = " ".join(p for p in (_claim_text(claims, "given_name", 60),
                                              _claim_text(claims, "family_name", 60)) if p)
    if not fields["name"]:
        fields["name"] = str(claims.get("email", "")).split("@", 1)[0][:120] or "New member"
    return fields


def mapped_company_role(claims: dict, mapping: dict) -> str | None:
    """"admin" or "member" from the role claim, or None when no role claim is configured or sent."""
    claim = mapping.get("role_claim")
    if not claim or claim not in claims:
        return None
    value = claims[claim]
    values = {str(v) for v in value} if isinstance(value, list) else {str(value)}
    return "admin" if values & set(mapping.get("admin_values") or []) else "member"


def _email_verified(claims: dict) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


# --- Sign-in, provisioning, linking ------------------------------------------------------------

def sign_in_with_claims(session: Session, provider: CompanyIdentityProvider, claims: dict) -> SignIn:
    """What verified ID token claims (`sub`, `email`, `email_verified`, ...) lead to."""
    from portal.auth.services import normalize_email, user_by_email

    subject = str(claims.get("sub") or "")
    if not subject or len(subject) > 255:
        raise DomainError("The identity provider sent no usable subject identifier.")
    identity = session.scalar(select(FederatedIdentity).where(
        FederatedIdentity.provider_id == provider.id, FederatedIdentity.subject == subject))
    if identity is not None:
        user = session.get(User, identity.user_id)
        _check_usable(user)
        identity.last_login_at = utcnow()
        _sync_role(session, provider, user, claims)
        session.flush()
        return SignIn(user=user)

    if not claims.get("email"):
        raise DomainError("Your company's identity provider did not tell us your email address "
                          "(the `email` scope or claim is missing).")
    email = normalize_email(str(claims["email"]))
    if not _email_verified(claims):
        raise DomainError("Your company's identity provider does not confirm that you own "
                          f"{email} (email_verified is not true), so we cannot sign you in with it.")
    if provider_for_email(session, email) is None or provider_for_email(session, email).id != provider.id:
        raise DomainError(f"This identity provider does not sign in addresses at {_domain_of(email)}.")
    user = user_by_email(session, email)
    if user is None:
        return SignIn(user=provision(session, provider, claims, email), provisioned=True)
    if session.scalar(select(FederatedIdentity.id).where(FederatedIdentity.provider_id == provider.id,
                                                          FederatedIdentity.user_id == user.id)):
        raise DomainError("This PartnerMesh account is already linked to another identity at your company's "
                          "provider. Ask your company admin for help.")
    if user.email_verified_at is None:
        raise DomainError(f"An account for {email} exists here but its email address was never confirmed, "
                          "so we will not link it. Confirm it with the link we mailed (or reset its password), "
                          "then use your company's sign-in again.")
    _check_usable(user)
    return SignIn(link_user=user)


def _check_usable(user: User | None) -> None:
    if user is None:
        raise DomainError("The linked account no longer exists.")
    if user.suspended_at is not None:
        raise DomainError("This account is suspended. Please contact the ecosystem admins.")


def provision(session: Session, provider: CompanyIdentityProvider, claims: dict, email: str) -> User:
    """A new verified account with an unusable password, its profile filled from the mapped claims,
    an active member of the provider's company (admin when the role claim says so)."""
    from portal.auth.services import register_account
    from portal.profiles.services import person_for_user, set_company_membership, update_person_fields

    fields = mapped_profile(claims, provider.claim_mapping or {})
    # register_account claims an imported or invited profile with this address and applies an open
    # invitation; the password hash it stores is one nothing verifies against.
    user = register_account(session, fields["name"], email, "", verified=True,
                            password_hash=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16))
    person = person_for_user(session, user.id)
    extra = {key: fields[key] for key in ("job_title", "headline") if fields[key]}
    if extra:
        update_person_fields(session, person, **extra)
    role = mapped_company_role(claims, provider.claim_mapping or {})
    if role is None:  # keep what an open invitation gave, else member
        role = person.company_role if person.company_id == provider.company_id else "member"
    set_company_membership(session, person, provider.company_id, role=role, status="active")
    session.add(FederatedIdentity(provider_id=provider.id, subject=str(claims["sub"]), user_id=user.id,
                                  linked_by="provisioned", last_login_at=utcnow()))
    session.flush()
    return user


def link_with_password(session: Session, provider: CompanyIdentityProvider, *, user_id: int, subject: str,
                       claims: dict, password: str) -> User:
    """The owner of an existing account proves control with its password; then the provider's
    identity is linked to it. Raises LoginFailed (wrong password) like the login form."""
    from portal.auth.services import authenticate

    user = session.get(User, user_id)
    if user is None:
        raise DomainError("The account to link no longer exists. Please start again.")
    user = authenticate(session, user.email, password)
    if session.scalar(select(FederatedIdentity.id).where(FederatedIdentity.provider_id == provider.id,
                                                          FederatedIdentity.subject == subject)):
        raise DomainError("This identity is already linked to an account.")
    session.add(FederatedIdentity(provider_id=provider.id, subject=subject, user_id=user.id,
                                  linked_by="password", last_login_at=utcnow()))
    _join_company(session, provider, user)
    _sync_role(session, provider, user, claims)
    session.flush()
    return user


def _join_company(session: Session, provider: CompanyIdentityProvider, user: User) -> None:
    """A linked account without a company (or waiting for approval there) becomes an active member:
    the company's own provider vouches for the person."""
    from portal.profiles.services import person_for_user, set_company_membership

    person = person_for_user(session, user.id)
    if person is not None and (person.company_id is None or (
            person.company_id == provider.company_id and person.membership_status != "active")):
        set_company_membership(session, person, provider.company_id, role=person.company_role
                               if person.company_id == provider.company_id else "member", status="active")


def _sync_role(session: Session, provider: CompanyIdentityProvider, user: User, claims: dict) -> None:
    """Keep the company role in step with the role claim when one is configured and sent (a
    company's last admin is not demoted: the company would have nobody to manage it)."""
    from portal.companies.membership import set_member_role
    from portal.profiles.services import person_for_user

    role = mapped_company_role(claims, provider.claim_mapping or {})
    person = person_for_user(session, user.id)
    if role is None or person is None or person.company_id != provider.company_id \
            or person.membership_status != "active":
        return
    company = session.get(Company, provider.company_id)
    try:
        set_member_role(session, company, person, role)
    except DomainError:
        pass  # the last admin stays admin


def identities_of(session: Session, user_id: int) -> list[FederatedIdentity]:
    return list(session.scalars(select(FederatedIdentity).where(FederatedIdentity.user_id == user_id)))
