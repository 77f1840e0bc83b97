"""Federation services without HTTP: configuration, domain lookup, require-SSO, claim mapping,
provisioning and the linking rules (claims here are already validated ID token claims)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.auth.federation import services
from portal.auth.federation.models import CompanyIdentityProvider, FederatedIdentity
from portal.auth.models import User
from portal.auth.passwords import hash_password, verify_password
from portal.auth.services import LoginFailed
from portal.companies.services import set_company_domains
from portal.errors import DomainError
from portal.profiles.services import create_person, person_for_user
from tests.test_auth_support import fast_password_hashing  # noqa: F401
from tests.test_companies_support import make_company, make_user

SECRET_KEY = "test-secret"
PASSWORD = "correct-horse-battery"


def no_discovery(issuer: str) -> dict:
    return {"issuer": issuer}


def save(session, company, **overrides):
    settings = services.ProviderSettings(issuer="https://login.acme.example", client_id="pm", client_secret="s3cr3t",
                                         domains=["acme.example"], claim_mapping={})
    for key, value in overrides.items():
        setattr(settings, key, value)
    return services.save_provider(session, company, settings, secret_key=SECRET_KEY, discover=no_discovery)


@pytest.fixture
def acme(session):
    _, alice = make_user(session, "alice@acme.example", name="Alice Admin")
    company = make_company(session, alice, "Acme Integration")
    set_company_domains(session, company, ["acme.example", "acme-group.example"])
    return company


@pytest.fixture
def provider(session, acme):
    return save(session, acme, domains=["acme.example", "acme-group.example"], sso_domains=["acme-group.example"],
                claim_mapping={"job_title": "title", "headline": "department", "role_claim": "groups",
                               "admin_values": "pm-admins, it"})


def claims(**overrides):
    base = {"sub": "u-42", "email": "nina@acme.example", "email_verified": True, "name": "Nina Novak",
            "title": "Solution Architect", "department": "Cloud practice", "groups": ["staff"]}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


# --- Configuration ---------------------------------------------------------------------------

def test_the_client_secret_is_stored_encrypted(session, provider):
    assert "s3cr3t" not in provider.client_secret_encrypted
    assert services.client_secret(provider, SECRET_KEY) == "s3cr3t"
    assert "s3cr3t" not in repr(provider)
    with pytest.raises(DomainError, match="SECRET_KEY"):
        services.client_secret(provider, "another-key")


def test_saving_again_without_a_secret_keeps_the_stored_one(session, acme, provider):
    save(session, acme, client_secret="", client_id="pm2")
    assert provider.client_id == "pm2" and services.client_secret(provider, SECRET_KEY) == "s3cr3t"


@pytest.mark.parametrize("overrides, field, message", [
    ({"issuer": "http://login.acme.example"}, "issuer", "https"),
    ({"issuer": ""}, "issuer", "issuer URL"),
    ({"client_id": " "}, "client_id", "client ID"),
    ({"client_secret": ""}, "client_secret", "client secret"),
    ({"domains": ["globex.example"]}, "domains", "not one of Acme Integration's email domains"),
    ({"domains": ["not a domain"]}, "domains", "not a valid email domain"),
    ({"domains": []}, "domains", "at least one"),
    ({"domains": ["acme.example"], "sso_domains": ["acme-group.example"]}, "sso_domains", "one this provider serves"),
    ({"claim_mapping": {"name": "na me"}}, "name", "not a claim name"),
    ({"claim_mapping": {"admin_values": "admins"}}, "role_claim", "Name the claim"),
])
def test_bad_configuration_is_refused_with_the_field_named(session, acme, overrides, field, message):
    with pytest.raises(DomainError, match=message) as error:
        save(session, acme, **overrides)
    assert error.value.field == field
    assert session.scalar(select(CompanyIdentityProvider)) is None


def test_loopback_http_issuers_only_when_allowed(session, acme):
    settings = services.ProviderSettings(issuer="http://127.0.0.1:8000", client_id="pm", client_secret="x",
                                         domains=["acme.example"])
    with pytest.raises(DomainError, match="https"):
        services.save_provider(session, acme, settings, secret_key=SECRET_KEY, discover=no_discovery)
    provider = services.save_provider(session, acme, settings, secret_key=SECRET_KEY, discover=no_discovery,
                                      allow_http_loopback=True)
    assert provider.issuer == "http://127.0.0.1:8000"


def test_nothing_is_saved_when_discovery_fails(session, acme):
    def failing(issuer):
        raise DomainError("The discovery document names the issuer 'x'", field="issuer")

    settings = services.ProviderSettings(issuer="https://login.acme.example", client_id="pm", client_secret="x",
                                         domains=["acme.example"])
    with pytest.raises(DomainError, match="names the issuer"):
        services.save_provider(session, acme, settings, secret_key=SECRET_KEY, discover=failing)
    assert session.scalar(select(CompanyIdentityProvider)) is None


def test_a_domain_is_served_by_one_provider_only(session, provider):
    # Another company cannot list acme.example: it is not theirs (company domains are unique).
    _, bob = make_user(session, "bob@globex.example")
    globex = make_company(session, bob, "Globex")
    set_company_domains(session, globex, ["globex.example"])
    with pytest.raises(DomainError, match="not one of Globex's"):
        save(session, globex, domains=["acme.example"])


def test_changing_the_issuer_forgets_the_identities_of_the_old_one(session, acme, provider):
    services.sign_in_with_claims(session, provider, claims())
    assert session.scalar(select(FederatedIdentity)) is not None
    save(session, acme, issuer="https://new-login.acme.example", domains=["acme.example"])
    assert session.scalar(select(FederatedIdentity)) is None


# --- Lookup and require-SSO ----------------------------------------------------------------------

def test_the_provider_is_found_from_the_email_domain(session, provider):
    assert services.provider_for_email(session, "Someone@ACME.example") == provider
    assert services.provider_for_email(session, "x@acme-group.example") == provider
    assert services.provider_for_email(session, "x@sub.acme.example") is None  # no subdomains
    assert services.provider_for_email(session, "x@acme.example.evil.example") is None
    assert services.provider_for_email(session, "not-an-address") is None


def test_require_sso_refuses_password_logins_except_for_ecosystem_admins(session, provider):
    member, _ = make_user(session, "pat@acme-group.example")
    admin, _ = make_user(session, "root@acme-group.example", role="ecosystem_admin")
    other, _ = make_user(session, "nina2@acme.example")
    with pytest.raises(services.SSORequired, match="its own identity provider"):
        services.refuse_password_login(session, member)
    services.refuse_password_login(session, admin)
    services.refuse_password_login(session, other)  # acme.example offers SSO but does not require it


# --- Claim mapping -------------------------------------------------------------------------------

def test_claims_fill_profile_fields_as_mapped(provider):
    fields = services.mapped_profile(claims(), provider.claim_mapping)
    assert fields == {"name": "Nina Novak", "job_title": "Solution Architect", "headline": "Cloud practice"}
    fields = services.mapped_profile(claims(name=None, given_name="Nina", family_name="Novak"), {})
    assert fields["name"] == "Nina Novak" and fields["job_title"] == ""
    assert services.mapped_profile({"email": "x.y@acme.example"}, {})["name"] == "x.y"
    long = services.mapped_profile(claims(title="T" * 500), provider.claim_mapping)
    assert len(long["job_title"]) == 120


def test_the_role_claim_decides_company_admins(provider):
    mapping = provider.claim_mapping
    assert services.mapped_company_role(claims(groups=["staff", "pm-admins"]), mapping) == "admin"
    assert services.mapped_company_role(claims(groups="it"), mapping) == "admin"
    assert services.mapped_company_role(claims(groups=["staff"]), mapping) == "member"
    assert services.mapped_company_role(claims(groups=None), mapping) is None
    assert services.mapped_company_role(claims(), {}) is None


# --- Provisioning ----------------------------------------------------------------------------------

def test_a_new_person_is_provisioned_into_the_company(session, acme, provider):
    outcome = services.sign_in_with_claims(session, provider, claims(groups=["pm-admins"]))
    user = outcome.user
    assert outcome.provisioned and user.email == "nina@acme.example" and user.is_active
    assert user.password_hash.startswith(services.UNUSABLE_PASSWORD_PREFIX)
    assert not verify_password(user.password_hash, "")
    person = person_for_user(session, user.id)
    assert (person.name, person.job_title, person.headline) == ("Nina Novak", "Solution Architect", "Cloud practice")
    assert (person.company_id, person.company_role, person.membership_status) == (acme.id, "admin", "active")
    again = services.sign_in_with_claims(session, provider, claims(email="renamed@acme.example"))
    assert again.user.id == user.id and not again.provisioned  # the subject, not the email, identifies


def test_an_imported_profile_with_the_address_is_claimed(session, acme, provider):
    imported = create_person(session, "Nina N.", email="nina@acme.example")
    outcome = services.sign_in_with_claims(session, provider, claims())
    assert imported.user_id == outcome.user.id and imported.company_id == acme.id


@pytest.mark.parametrize("overrides, message", [
    ({"email_verified": False}, "does not confirm"),
    ({"email_verified": None}, "does not confirm"),
    ({"email_verified": "false"}, "does not confirm"),
    ({"email": None}, "did not tell us your email"),
    ({"email": "nina@globex.example"}, "does not sign in addresses at globex.example"),
    ({"sub": None}, "subject"),
])
def test_unusable_claims_provision_nobody(session, provider, overrides, message):
    with pytest.raises(DomainError, match=message):
        services.sign_in_with_claims(session, provider, claims(**overrides))
    assert session.scalar(select(User).where(User.email == "nina@acme.example")) is None


def test_a_suspended_linked_account_cannot_sign_in(session, provider):
    user = services.sign_in_with_claims(session, provider, claims()).user
    user.suspended_at = user.created_at
    with pytest.raises(DomainError, match="suspended"):
        services.sign_in_with_claims(session, provider, claims())


def test_the_role_follows_the_claim_at_each_sign_in_but_the_last_admin_stays(session, acme, provider):
    nina = services.sign_in_with_claims(session, provider, claims(groups=["pm-admins"])).user
    person = person_for_user(session, nina.id)
    assert person.company_role == "admin"
    services.sign_in_with_claims(session, provider, claims(groups=["staff"]))
    assert person.company_role == "member"  # Alice is still an admin
    alice = person_for_user(session, session.scalar(select(User.id).where(User.email == "alice@acme.example")))
    alice.company_role = "member"
    services.sign_in_with_claims(session, provider, claims(groups=["pm-admins"]))
    services.sign_in_with_claims(session, provider, claims(groups=["staff"]))
    assert person.company_role == "admin"  # the company's only admin is not demoted


# --- Linking existing accounts -----------------------------------------------------------------

def _local_account(session, email="nina@acme.example", verified=True):
    user, person = make_user(session, email, name="Nina Local")
    user.password_hash = hash_password(PASSWORD)
    if not verified:
        user.email_verified_at = None
    session.flush()
    return user, person


def test_an_existing_account_is_never_linked_automatically(session, provider):
    user, _ = _local_account(session)
    outcome = services.sign_in_with_claims(session, provider, claims())
    assert outcome.user is None and outcome.link_user.id == user.id
    assert session.scalar(select(FederatedIdentity)) is None


def test_linking_needs_the_accounts_password(session, acme, provider):
    user, person = _local_account(session)
    with pytest.raises(LoginFailed):
        services.link_with_password(session, provider, user_id=user.id, subject="u-42", claims={},
                                    password="wrong-password-123")
    assert session.scalar(select(FederatedIdentity)) is None
    linked = services.link_with_password(session, provider, user_id=user.id, subject="u-42", claims={},
                                         password=PASSWORD)
    assert linked.id == user.id
    identity = session.scalar(select(FederatedIdentity))
    assert (identity.user_id, identity.subject, identity.linked_by) == (user.id, "u-42", "password")
    assert (person.company_id, person.membership_status) == (acme.id, "active")
    assert services.sign_in_with_claims(session, provider, claims()).user.id == user.id


def test_an_account_whose_email_was_never_verified_is_never_linked(session, provider):
    _local_account(session, verified=False)
    with pytest.raises(DomainError, match="never confirmed"):
        services.sign_in_with_claims(session, provider, claims())
    assert session.scalar(select(FederatedIdentity)) is None


def test_no_link_when_the_provider_does_not_verify_the_email(session, provider):
    _local_account(session)
    with pytest.raises(DomainError, match="does not confirm"):
        services.sign_in_with_claims(session, provider, claims(email_verified=False))


def test_an_account_linked_to_one_subject_is_not_linked_to_another(session, provider):
    user, _ = _local_account(session)
    services.link_with_password(session, provider, user_id=user.id, subject="u-42", claims={}, password=PASSWORD)
    with pytest.raises(DomainError, match="already linked to another identity"):
        services.sign_in_with_claims(session, provider, claims(sub="u-43"))
