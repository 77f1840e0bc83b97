"""Company pages over HTTP: public profile, editing rights, members, verification, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.companies import membership
from portal.companies.models import Company
from portal.companies.services import company_domains, company_tags
from portal.mail.models import OutboxMessage
from tests.test_companies_support import login, make_company, make_user

XSS = '<script>alert("x")</script>'


@pytest.fixture
def acme(session):
    user, alice = make_user(session, "alice@acme.example", name="Alice Admin")
    company = make_company(session, alice, "Acme Integration", description="We **integrate** things.",
                           website="https://acme.example", industry="Software", region="Western Europe",
                           size="11-50", partner_type="systems_integrator", offers="SAP consulting",
                           needs="Cloud hosting", email_domains="acme.example")
    session.commit()
    return company, user, alice


def test_company_page_is_public(client, session, acme):
    company, _, _ = acme
    _, pending = make_user(session, name="Pending Pete")
    membership.request_to_join(session, pending, company)
    session.commit()
    response = client.get(f"/companies/{company.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Acme Integration" in page and "<strong>integrate</strong>" in page
    assert 'href="https://acme.example" rel="nofollow ugc noopener"' in page
    assert "SAP consulting" in page and "Cloud hosting" in page and "Systems integrator" in page
    assert "Alice Admin" in page
    assert "Pending Pete" not in page  # pending requests are for admins only
    assert "acme.example</li>" not in page  # email domains are for admins only


def test_company_admin_sees_domains_and_requests(client, session, acme):
    company, user, _ = acme
    _, pending = make_user(session, name="Pending Pete")
    membership.request_to_join(session, pending, company)
    session.commit()
    login(client, user)
    page = client.get(f"/companies/{company.slug}").get_data(as_text=True)
    assert "Pending Pete" in page and "acme.example</li>" in page and "Edit company" in page


def test_unknown_company_is_404(client):
    assert client.get("/companies/no-such-company").status_code == 404


def test_edit_is_for_company_admins_and_ecosystem_admins(client, session, acme):
    company, _, _ = acme
    assert client.get(f"/companies/{company.slug}/edit").status_code == 302  # to the login page
    member_user, _ = make_user(session)
    eco_user, _ = make_user(session, role="ecosystem_admin")
    session.commit()
    login(client, member_user)
    assert client.get(f"/companies/{company.slug}/edit").status_code == 403
    assert client.post(f"/companies/{company.slug}/edit", data={"name": "Hijacked"}).status_code == 403
    assert client.get(f"/companies/{company.slug}/members").status_code == 403
    assert client.post(f"/companies/{company.slug}/invite", data={"email": "x@y.example"}).status_code == 403
    assert company.name == "Acme Integration"
    login(client, eco_user)
    response = client.post(f"/companies/{company.slug}/edit", data={
        "name": "Acme Renamed", "partner_type": "reseller", "offers": "Go, Rust", "email_domains": "acme.example"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Company, company.id).name == "Acme Renamed"


def _form(**overrides):
    data = {"name": "Acme Integration", "description": "Fine", "website": "https://acme.example",
            "industry": "Software", "region": "Western Europe", "size": "11-50", "partner_type": "isv",
            "offers": "SAP consulting", "needs": "", "email_domains": "acme.example"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("field, value, message", [
    ("name", "x" * 121, "120"), ("description", "y" * 5001, "5000"), ("website", "javascript:alert(1)", "http"),
    ("website", "https://" + "a" * 300 + ".example", "300"), ("industry", "Smuggling", "industry"),
    ("email_domains", "acme.example, not_a_domain!", "not a valid"), ("offers", "z" * 80, "64"),
])
def test_bad_fields_show_errors_and_save_nothing(client, session, acme, field, value, message):
    company, user, _ = acme
    login(client, user)
    response = client.post(f"/companies/{company.slug}/edit", data=_form(name="Changed name", **{field: value})
                           if field != "name" else _form(name=value))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page and message in page
    session.expire_all()
    assert session.get(Company, company.id).name == "Acme Integration"
    assert session.get(Company, company.id).partner_type == "systems_integrator"


def test_domain_of_another_company_is_a_form_error(client, session, acme):
    company, _, _ = acme
    other_user, bob = make_user(session)
    other = make_company(session, bob, "Bobco")
    session.commit()
    login(client, other_user)
    response = client.post(f"/companies/{other.slug}/edit", data=_form(name="Bobco 2", email_domains="acme.example"))
    assert "already belongs to another company" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Company, other.id).name == "Bobco"
    assert company_domains(session, company.id) == ["acme.example"]


def test_script_payloads_are_inert_on_the_company_page(client, session):
    user, person = make_user(session)
    company = make_company(session, person, f"Evil {XSS}", description=f"Hi {XSS} <img src=x onerror=alert(1)> "
                           "[click](javascript:alert(1))", offers=f"{XSS}")
    session.commit()
    page = client.get(f"/companies/{company.slug}").get_data(as_text=True)
    assert XSS not in page
    assert "<img" not in page  # the raw HTML shows as text, never as an element
    assert 'href="javascript:' not in page
    assert "Evil &lt;script&gt;" in page


def test_forged_csrf_is_rejected_and_nothing_saved(client, session, acme, monkeypatch, app):
    company, user, _ = acme
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(client, user)
    response = client.post(f"/companies/{company.slug}/edit", data=_form(name="Forged", csrf_token="forged"))
    assert response.status_code == 400
    response = client.post(f"/companies/{company.slug}/invite", data={"email": "x@y.example"})
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Company, company.id).name == "Acme Integration"
    assert not membership.open_invitations(session, company.id)


def test_create_company_makes_you_admin(client, session):
    user, person = make_user(session, name="Carla")
    session.commit()
    login(client, user)
    assert client.get("/companies/new").status_code == 200
    response = client.post("/companies/new", data=_form(name="Carla's Cloud", email_domains="carla.example",
                                                        offers="Kubernetes, Terraform"))
    assert response.status_code == 302
    company = session.scalar(select(Company).where(Company.name == "Carla's Cloud"))
    assert response.headers["Location"].endswith(f"/companies/{company.slug}")
    session.refresh(person)
    assert (person.company_id, person.company_role) == (company.id, "admin")
    assert [t.name for t in company_tags(session, [company.id])[company.id]["offer"]] == ["Kubernetes", "Terraform"]
    # A second company is refused: you already have one.
    assert client.get("/companies/new").status_code == 302


def test_invite_approve_role_and_last_admin_over_http(client, session, acme):
    company, user, alice = acme
    _, bob = make_user(session, "bob@example.org", name="Bob")
    _, pete = make_user(session, name="Pete")
    membership.request_to_join(session, pete, company)
    session.commit()
    login(client, user)
    base = f"/companies/{company.slug}"
    response = client.post(f"{base}/invite", data={"email": "new@elsewhere.example", "role": "member"},
                           follow_redirects=True)
    assert "Invitation sent" in response.get_data(as_text=True)
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "new@elsewhere.example"))
    assert "/signup" in mail.body_text
    client.post(f"{base}/invite", data={"email": "bob@example.org", "role": "member"})
    session.refresh(bob)
    assert bob.company_id == company.id and bob.membership_status == "active"
    response = client.post(f"{base}/invite", data={"email": "not an email"})
    assert "valid email" in response.get_data(as_text=True)

    client.post(f"{base}/members/{pete.id}/approve")
    session.refresh(pete)
    assert pete.membership_status == "active"

    response = client.post(f"{base}/members/{alice.id}/role", data={"role": "member"}, follow_redirects=True)
    assert "last admin" in response.get_data(as_text=True)
    response = client.post(f"{base}/leave", follow_redirects=True)
    assert "last admin" in response.get_data(as_text=True)
    session.refresh(alice)
    assert alice.company_role == "admin" and alice.company_id == company.id

    client.post(f"{base}/members/{bob.id}/role", data={"role": "admin"})
    client.post(f"{base}/members/{pete.id}/remove")
    session.refresh(bob)
    session.refresh(pete)
    assert bob.company_role == "admin" and pete.company_id is None
    assert client.post(f"{base}/members/999999/remove").status_code == 404


def test_request_to_join_decline_and_withdraw(client, session, acme):
    company, admin_user, _ = acme
    user, dora = make_user(session, name="Dora")
    session.commit()
    login(client, user)
    page = client.get(f"/companies/{company.slug}").get_data(as_text=True)
    assert "Request to join" in page
    client.post(f"/companies/{company.slug}/join")
    session.refresh(dora)
    assert (dora.company_id, dora.membership_status) == (company.id, "pending")
    assert "Withdraw my request" in client.get(f"/companies/{company.slug}").get_data(as_text=True)
    login(client, admin_user)
    client.post(f"/companies/{company.slug}/members/{dora.id}/decline")
    session.refresh(dora)
    assert dora.company_id is None


def test_only_ecosystem_admins_verify(client, session, acme):
    company, admin_user, _ = acme
    eco_user, _ = make_user(session, role="ecosystem_admin", with_person=False)
    session.commit()
    login(client, admin_user)
    assert client.post(f"/companies/{company.slug}/verify", data={"verified": "1"}).status_code == 403
    login(client, eco_user)
    assert "Verify company" in client.get(f"/companies/{company.slug}").get_data(as_text=True)
    client.post(f"/companies/{company.slug}/verify", data={"verified": "1"})
    session.refresh(company)
    assert company.verified_at is not None
    assert "✓ Verified" in client.get(f"/companies/{company.slug}").get_data(as_text=True)
    client.post(f"/companies/{company.slug}/verify", data={"verified": "0"})
    session.refresh(company)
    assert company.verified_at is None
