"""A domain that requires company sign-in has no PartnerMesh passwords: sign-up with a password
and password resets are refused with a pointer to the company sign-in (ecosystem admins keep
their resets, as they keep their password logins). The company page links to its sign-in settings."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth import services as auth_services
from portal.auth.federation import services
from portal.auth.models import User
from portal.auth.passwords import hash_password, verify_password
from portal.companies.services import set_company_domains
from tests.conftest import extract_link
from tests.test_auth_support import fast_password_hashing, mail_body, mails_to  # noqa: F401
from tests.test_companies_support import login, make_company, make_user

PASSWORD = "correct-horse-battery"
SSO_MESSAGE = "sign in to PartnerMesh through their company&#39;s identity provider"


def _acme(session, *, require_sso: bool):
    admin_user, admin = make_user(session, "admin@acme.example", name="Acme Admin")
    company = make_company(session, admin, "Acme")
    set_company_domains(session, company, ["acme.example"])
    settings = services.ProviderSettings(
        issuer="https://login.acme.example", client_id="portal", client_secret="s3cret", domains=["acme.example"],
        sso_domains=["acme.example"] if require_sso else [])
    services.save_provider(session, company, settings, secret_key="test-secret", discover=lambda issuer: {})
    session.commit()
    return company, admin_user


def _signup(client, email):
    return client.post("/signup", data={"name": "Pat Doe", "email": email, "password": PASSWORD,
                                        "confirm": PASSWORD})


def test_sign_up_with_a_password_is_refused_where_company_sign_in_is_required(client, session):
    _acme(session, require_sso=True)
    response = _signup(client, "pat@acme.example")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and SSO_MESSAGE in page
    assert '/login?login_hint=pat@acme.example' in page  # the login page, company sign-in prefilled
    assert session.scalar(select(User).where(User.email == "pat@acme.example")) is None
    assert _signup(client, "pat@elsewhere.example").status_code == 302


def test_sign_up_works_where_company_sign_in_is_only_offered(client, session):
    _acme(session, require_sso=False)
    assert _signup(client, "pat@acme.example").status_code == 302


def test_password_reset_is_refused_where_company_sign_in_is_required(client, session, outbox_dir):
    _acme(session, require_sso=True)
    member, _ = make_user(session, "pat@acme.example")
    eco, _ = make_user(session, "root@acme.example", role="ecosystem_admin")
    session.commit()
    pages = []
    for address in ("pat@acme.example", "nobody@acme.example", "root@acme.example"):
        response = client.post("/password/forgot", data={"email": address})
        assert response.status_code == 400
        pages.append(response.get_data(as_text=True).replace(address, "ADDRESS").replace(
            address.replace("@", "%40"), "ADDRESS"))
    assert SSO_MESSAGE in pages[0] and pages[0] == pages[1] == pages[2]  # nothing tells them apart
    assert mails_to(session, "pat@acme.example") == [] and mails_to(session, "nobody@acme.example") == []
    [message] = mails_to(session, "root@acme.example")  # ecosystem admins keep their way back in
    assert "password/reset/" in mail_body(outbox_dir, message)


def test_a_reset_link_from_before_the_domain_required_company_sign_in_is_refused(client, session, outbox_dir,
                                                                                    app):
    company, _ = _acme(session, require_sso=False)
    member, _ = make_user(session, "pat@acme.example")
    member.password_hash = hash_password(PASSWORD)
    session.commit()
    assert client.post("/password/forgot", data={"email": "pat@acme.example"}).status_code == 302
    [message] = mails_to(session, "pat@acme.example")
    link = extract_link(mail_body(outbox_dir, message), "password/reset/")
    services.save_provider(session, company, services.ProviderSettings(
        issuer="https://login.acme.example", client_id="portal", client_secret="s3cret", domains=["acme.example"],
        sso_domains=["acme.example"]), secret_key="test-secret", discover=lambda issuer: {})
    session.commit()
    response = client.get(link)
    assert response.status_code == 403 and SSO_MESSAGE in response.get_data(as_text=True)
    new = "a-new-password-123"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 403
    session.expire_all()
    assert verify_password(session.get(User, member.id).password_hash, PASSWORD)  # unchanged
    assert auth_services.user_by_email(session, "pat@acme.example").id == member.id


def test_the_company_page_links_its_admins_to_the_sign_in_settings(client, session):
    admin_user, admin = make_user(session, "admin@beta.example")
    company = make_company(session, admin, "Beta")
    set_company_domains(session, company, ["beta.example"])
    outsider, _ = make_user(session, "someone@elsewhere.example")
    session.commit()
    url, settings = f"/companies/{company.slug}", f'href="/companies/{company.slug}/sign-in"'
    login(client, outsider)
    assert settings not in client.get(url).get_data(as_text=True)
    login(client, admin_user)
    page = client.get(url).get_data(as_text=True)
    assert settings in page and "Set up company sign-in" in page
    services.save_provider(session, company, services.ProviderSettings(
        issuer="https://login.beta.example", client_id="portal", client_secret="s3cret",
        domains=["beta.example"]),
        secret_key="test-secret", discover=lambda issuer: {})
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert settings in page and "Company sign-in settings" in page
