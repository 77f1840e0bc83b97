"""Account services without HTTP: sign-up, profiles and companies, passwords, tokens, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import tests.test_auth_support as support
from portal.auth import passwords, services, tokens
from portal.auth.models import User
from portal.companies.models import CompanyInvitation
from portal.companies.services import create_company, set_company_domains
from portal.errors import DomainError
from portal.profiles.services import create_person, person_for_user
from tests.test_auth_support import PASSWORD, mails_to

fast_password_hashing = support.fast_password_hashing  # fixture

SECRET = "test-secret"


def _link(token: str) -> str:
    return f"http://portal.example/x/{token}"


def test_sign_up_creates_user_and_profile(session):
    user = services.register_account(session, "  Ada   Lovelace ", "Ada@Example.COM", PASSWORD)
    assert user.email == "ada@example.com"
    assert user.email_verified_at is None and user.role == "member"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    person = person_for_user(session, user.id)
    assert person.name == "Ada Lovelace" and person.email == "ada@example.com"
    assert person.company_id is None


def test_sign_up_claims_the_imported_profile_with_the_same_email(session):
    imported = create_person(session, "Grace Hopper", email="grace@navy.example", headline="Compilers")
    user = services.register_account(session, "G. Hopper", "GRACE@navy.example", PASSWORD)
    assert imported.user_id == user.id
    assert person_for_user(session, user.id).id == imported.id
    assert person_for_user(session, user.id).headline == "Compilers"


def test_duplicate_email_is_refused(session):
    services.register_account(session, "First", "dup@example.com", PASSWORD)
    with pytest.raises(DomainError) as error:
        services.register_account(session, "Second", "DUP@example.com", PASSWORD)
    assert error.value.field == "email" and "Log in or reset your password" in error.value.message


def test_company_domain_makes_a_pending_membership(session):
    company = create_company(session, "Acme Integrations")
    set_company_domains(session, company, ["acme.example"])
    user = services.register_account(session, "Mia", "mia@acme.example", PASSWORD)
    person = person_for_user(session, user.id)
    assert person.company_id == company.id
    assert person.membership_status == "pending" and person.company_role == "member"


def test_open_invitation_makes_an_active_member_with_the_invited_role(session):
    company = create_company(session, "Acme Integrations")
    set_company_domains(session, company, ["acme.example"])
    session.add(CompanyInvitation(company_id=company.id, email="boss@acme.example", role="admin"))
    session.flush()
    user = services.register_account(session, "Boss", "Boss@Acme.example", PASSWORD)
    person = person_for_user(session, user.id)
    assert (person.company_id, person.membership_status, person.company_role) == (company.id, "active", "admin")
    invitation = session.scalar(select(CompanyInvitation).where(CompanyInvitation.email == "boss@acme.example"))
    assert invitation.accepted_at is not None


@pytest.mark.parametrize("password, message", [
    ("short", "at least 10"),
    ("a" * 129, "at most 128"),
    ("zzzzzzzzzzzz", "more than one"),
    ("Rita@Example.com", "email"),
])
def test_password_policy(session, password, message):
    with pytest.raises(DomainError) as error:
        services.create_user(session, "rita@example.com", password)
    assert message in error.value.message and error.value.field == "password"
    assert session.scalar(select(User).where(User.email == "rita@example.com")) is None


def test_bad_email_and_role_are_refused(session):
    with pytest.raises(DomainError):
        services.create_user(session, "not an email", PASSWORD)
    with pytest.raises(DomainError):
        services.create_user(session, "x@example.com", PASSWORD, role="overlord")


def test_password_hashing_and_rehash_on_login(session):
    hashed = passwords.hash_password(PASSWORD)
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "!")
    assert not passwords.verify_password("not a hash", PASSWORD)
    user = services.create_user(session, "old@example.com", PASSWORD, verified=True)
    old_hash = user.password_hash
    previous = passwords.configure_hasher(time_cost=2, memory_cost=2048, parallelism=1)
    try:
        assert services.authenticate(session, "old@example.com", PASSWORD) is user
        assert user.password_hash != old_hash and "t=2" in user.password_hash
        assert passwords.verify_password(user.password_hash, PASSWORD)
    finally:
        passwords._hasher = previous


def test_authenticate_says_why_only_to_who_knows_the_password(session):
    user = services.create_user(session, "u@example.com", PASSWORD)
    with pytest.raises(services.LoginFailed):
        services.authenticate(session, "u@example.com", "wrong-password-1")
    with pytest.raises(services.LoginFailed):
        services.authenticate(session, "nobody@example.com", PASSWORD)
    with pytest.raises(services.AccountNotVerified):
        services.authenticate(session, "u@example.com", PASSWORD)
    user.email_verified_at = user.created_at
    services.record_login(session, services.authenticate(session, "U@example.com", PASSWORD))
    assert user.last_login_at is not None
    services.suspend_user(session, user)
    with pytest.raises(services.AccountSuspended):
        services.authenticate(session, "u@example.com", PASSWORD)


def test_verification_link_works_once(session):
    user = services.create_user(session, "v@example.com", PASSWORD)
    services.queue_verification_mail(session, user, secret_key=SECRET, link=_link)
    [mail] = mails_to(session, "v@example.com")
    token = mail.body_text.split("/x/", 1)[1].split()[0]
    with pytest.raises(services.InvalidToken):
        services.verify_email(session, "another-secret", token)
    assert services.verify_email(session, SECRET, token) is user and user.email_verified_at is not None
    with pytest.raises(services.AlreadyVerified):
        services.verify_email(session, SECRET, token)


def test_reset_token_is_single_use_and_logs_out_everywhere(session):
    user = services.create_user(session, "r@example.com", PASSWORD, verified=True)
    key_before = user.get_id()
    token = tokens.make_token(SECRET, tokens.RESET_PASSWORD, user)
    assert tokens.read_token(SECRET, tokens.VERIFY_EMAIL, token) is None  # purposes do not mix
    services.reset_password(session, SECRET, token, "a-brand-new-password")
    assert services.verify_password(user.password_hash, "a-brand-new-password")
    assert services.load_user_for_session(session, key_before) is None
    assert services.load_user_for_session(session, user.get_id()) is user
    with pytest.raises(services.InvalidToken):
        services.reset_password(session, SECRET, token, "yet-another-password")


def test_reset_request_is_silent_for_unknown_addresses_and_capped(session):
    services.request_password_reset(session, "ghost@example.com", secret_key=SECRET, link=_link)
    assert mails_to(session, "ghost@example.com") == []
    services.create_user(session, "cap@example.com", PASSWORD, verified=True)
    for _ in range(6):
        services.request_password_reset(session, "cap@example.com", secret_key=SECRET, link=_link)
    assert len(mails_to(session, "cap@example.com")) == services.MAIL_CAP


def test_change_password_needs_the_current_one_and_bumps_the_session_version(session):
    user = services.create_user(session, "c@example.com", PASSWORD, verified=True)
    with pytest.raises(DomainError) as error:
        services.change_password(session, user, "not-my-password", "another-password-1")
    assert error.value.field == "current_password" and user.session_version == 1
    services.change_password(session, user, PASSWORD, "another-password-1")
    assert user.session_version == 2


def test_roles_and_suspension_keep_one_admin(session):
    admin = services.create_user(session, "admin@example.com", PASSWORD, verified=True, role="ecosystem_admin")
    member = services.create_user(session, "m@example.com", PASSWORD, verified=True)
    with pytest.raises(DomainError):
        services.set_role(session, admin, "member")
    with pytest.raises(DomainError):
        services.suspend_user(session, admin)
    services.set_role(session, member, "ecosystem_admin")
    services.set_role(session, admin, "member")
    assert member.is_ecosystem_admin and not admin.is_ecosystem_admin
    with pytest.raises(DomainError):
        services.set_role(session, member, "king")
    key = admin.get_id()
    services.suspend_user(session, admin)
    assert not admin.is_active and services.load_user_for_session(session, key) is None
    services.unsuspend_user(session, admin)
    assert admin.is_active
    assert services.user_by_email(session, "M@EXAMPLE.com") is member
    assert services.user_by_email(session, "garbage") is None
