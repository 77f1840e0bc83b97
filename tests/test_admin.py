"""The ecosystem-admin console."""

from __future__ import annotations

from portal.admin.services import is_members_only
from portal.auth.models import User
from tests.test_companies_support import login, make_company, make_user


def _admin(session):
    user, _ = make_user(session, "root@hub.example", role="ecosystem_admin", name="Root Admin")
    return user


def test_console_is_for_ecosystem_admins_only(client, session):
    member, _ = make_user(session)
    session.commit()
    response = client.get("/admin")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, member)
    assert client.get("/admin").status_code == 403
    assert client.post("/admin/members-only", data={"members_only": "y"}).status_code == 403
    assert client.post(f"/admin/users/{member.id}/role", data={"role": "ecosystem_admin"}).status_code == 403
    assert client.post(f"/admin/users/{member.id}/suspend").status_code == 403
    session.refresh(member)
    assert member.role == "member" and member.suspended_at is None
    assert not is_members_only(session)


def test_console_shows_numbers_and_verification_queue(client, session):
    admin = _admin(session)
    _, alice = make_user(session)
    company = make_company(session, alice, '<script>alert("x")</script> Waiting Co')
    session.commit()
    login(client, admin)
    page = client.get("/admin").get_data(as_text=True)
    assert "Companies awaiting verification (1)" in page and "&lt;script&gt;" in page
    assert "<script>alert" not in page
    assert 'href="/tags"' in page
    response = client.post(f"/companies/{company.slug}/verify", data={"verified": "1", "return_to": "admin"})
    assert response.headers["Location"].endswith("/admin")
    session.refresh(company)
    assert company.verified_at is not None
    assert "Every company is verified" in client.get("/admin").get_data(as_text=True)


def test_members_only_switch(client, session):
    admin = _admin(session)
    session.commit()
    login(client, admin)
    client.post("/admin/members-only", data={"members_only": "y"})
    assert is_members_only(session)
    login(client, None)
    assert client.get("/").status_code == 302
    login(client, admin)
    client.post("/admin/members-only", data={})
    assert not is_members_only(session)


def test_user_search_role_and_suspension(client, session):
    admin = _admin(session)
    bob, _ = make_user(session, "bob@partner.example")
    make_user(session, "carol@other.example")
    session.commit()
    login(client, admin)
    page = client.get("/admin?q=PARTNER").get_data(as_text=True)
    assert "bob@partner.example" in page and "carol@other.example" not in page
    assert client.get("/admin?q=%25%25&page=zz").status_code == 200
    client.post(f"/admin/users/{bob.id}/role", data={"role": "ecosystem_admin"})
    session.refresh(bob)
    assert bob.role == "ecosystem_admin"
    response = client.post(f"/admin/users/{bob.id}/role", data={"role": "emperor"}, follow_redirects=True)
    assert "Unknown role" in response.get_data(as_text=True)
    client.post(f"/admin/users/{bob.id}/suspend")
    session.refresh(bob)
    assert bob.suspended_at is not None
    client.post(f"/admin/users/{bob.id}/unsuspend")
    session.refresh(bob)
    assert bob.suspended_at is None
    response = client.post(f"/admin/users/{admin.id}/suspend", follow_redirects=True)
    assert "cannot suspend your own account" in response.get_data(as_text=True)
    assert session.get(User, admin.id).suspended_at is None
    assert client.post("/admin/users/999999/suspend").status_code == 404
