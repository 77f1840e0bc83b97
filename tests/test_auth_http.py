"""Account pages through the test client: what a person signing up and logging in notices."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

import tests.test_auth_support as support
from portal.auth import services
from portal.auth.models import User
from portal.profiles.services import person_for_user
from tests.conftest import extract_link
from tests.test_auth_support import PASSWORD, mail_body, mails_to

db_session = support.db_session  # fixture
fast_password_hashing = support.fast_password_hashing  # fixture


def _signup(client, name="Ada Lovelace", email="ada@example.com", password=PASSWORD, confirm=None):
    return client.post("/signup", data={"name": name, "email": email, "password": password,
                                        "confirm": confirm if confirm is not None else password})


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def _verified_user(db_session, email="mia@example.com", name="Mia Member"):
    user = services.register_account(db_session, name, email, PASSWORD, verified=True)
    db_session.commit()
    return user


def _user(db_session, email):
    db_session.expire_all()  # the requests changed rows behind this session's back
    return services.user_by_email(db_session, email)


def _logged_in(client) -> bool:
    return b"Log out" in client.get("/").data


def test_sign_up_verify_by_mail_and_be_logged_in(client, db_session, outbox_dir):
    response = _signup(client, email="Ada@Example.com")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = client.get("/login").data.decode()
    assert "we sent a link to ada@example.com" in page
    assert not _logged_in(client)

    [message] = mails_to(db_session, "ada@example.com")
    body = mail_body(outbox_dir, message)  # delivered right after the sign-up committed
    link = extract_link(body, "verify/")  # conftest regex: fragment without the leading slash
    response = client.get(link)
    assert response.status_code == 302
    assert _logged_in(client)
    user = _user(db_session, "ada@example.com")
    assert user.email_verified_at is not None
    assert person_for_user(db_session, user.id).name == "Ada Lovelace"

    again = client.get(link, follow_redirects=True)  # the link works once
    assert b"already confirmed" in again.data


def test_sign_up_form_errors_are_inline_and_nothing_is_stored(client, db_session):
    response = _signup(client, email="not-an-email", password="short", confirm="different")
    page = response.data.decode()
    assert response.status_code == 200
    assert "valid email address" in page and "The two passwords differ" in page
    assert 'aria-invalid="true"' in page
    response = _signup(client, email="x@example.com", password="xxxxxxxxxxxxxx")
    assert "more than one" in response.data.decode()
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_email_gets_a_helpful_error(client, db_session):
    _verified_user(db_session, "taken@example.com")
    response = _signup(client, email="TAKEN@example.com")
    assert "An account with this email exists. Log in or reset your password." in response.data.decode()


def test_long_fields_and_script_payloads_come_out_escaped(client, db_session):
    response = _signup(client, name="x" * 121)
    assert response.status_code == 200 and b"120 characters" in response.data
    response = _signup(client, email=("a" * 250) + "@example.com")
    assert response.status_code == 200 and b"254 characters" in response.data
    response = _signup(client, name="<script>alert(1)</script>", email="evil@example.com", password="p" * 200)
    assert b"<script>alert(1)" not in response.data and b"&lt;script&gt;alert(1)" in response.data
    _signup(client, name="<img src=x onerror=alert(1)>", email="img@example.com")
    user = _user(db_session, "img@example.com")
    assert person_for_user(db_session, user.id).name == "<img src=x onerror=alert(1)>"


def test_odd_unicode_name_is_fine(client, db_session):
    name = "Zoë 李小龍 \u202eevil\u202c O'Brien-Ñúñez 🙂"
    assert _signup(client, name=name, email="zoe@example.com").status_code == 302
    person = person_for_user(db_session, _user(db_session, "zoe@example.com").id)
    assert person.name == "Zoë 李小龍 evil O'Brien-Ñúñez 🙂"


def test_login_wrong_password_is_generic(client, db_session):
    _verified_user(db_session)
    for email, password in (("mia@example.com", "wrong-password-1"), ("nobody@example.com", PASSWORD)):
        response = _login(client, email, password)
        assert response.status_code == 200
        assert b"Email or password is wrong." in response.data
    assert not _logged_in(client)


def test_unverified_login_is_refused_with_a_resend_form(client, db_session, outbox_dir):
    _signup(client, email="new@example.com")
    response = _login(client, "new@example.com")
    page = response.data.decode()
    assert "confirm your email address first" in page
    assert 'action="/verify/resend"' in page and 'value="new@example.com"' in page
    assert not _logged_in(client)
    response = client.post("/verify/resend", data={"email": "new@example.com"}, follow_redirects=True)
    assert b"we sent a new link" in response.data
    assert len(mails_to(db_session, "new@example.com")) == 2
    client.post("/verify/resend", data={"email": "nobody@example.com"})
    assert mails_to(db_session, "nobody@example.com") == []


def test_suspended_user_cannot_log_in(client, db_session):
    user = _verified_user(db_session)
    services.suspend_user(db_session, user)
    db_session.commit()
    response = _login(client, "mia@example.com")
    assert b"This account is suspended" in response.data
    assert not _logged_in(client)


def test_login_records_time_and_redirects_home(client, db_session):
    user = _verified_user(db_session)
    response = _login(client, "MIA@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    db_session.refresh(user)
    assert user.last_login_at is not None
    assert _logged_in(client)


def test_remember_me_sets_an_httponly_cookie(client, db_session):
    _verified_user(db_session)
    response = _login(client, "mia@example.com", remember="y")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert cookies and "HttpOnly" in cookies[0]
    assert not [c for c in _login(client.application.test_client(), "mia@example.com").headers.getlist(
        "Set-Cookie") if c.startswith("remember_token=")]


def test_remember_me_cookie_dies_with_a_password_change(app, db_session):
    _verified_user(db_session)
    browser = app.test_client()
    _login(browser, "mia@example.com", remember="y")
    remember = browser.get_cookie("remember_token")
    other = app.test_client()
    other.set_cookie("remember_token", remember.value)
    assert _logged_in(other)  # the cookie alone logs in
    response = browser.post("/password/change", data={"current_password": PASSWORD,
                                                      "password": "a-new-password-1", "confirm": "a-new-password-1"})
    assert response.status_code == 302
    assert _logged_in(browser)  # this session continues ...
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert not _logged_in(fresh)  # ... the old cookie no longer works
    assert not _logged_in(other)


def test_logout_requires_post(client, db_session):
    _verified_user(db_session)
    _login(client, "mia@example.com")
    assert client.get("/logout").status_code == 405
    assert _logged_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert not _logged_in(client)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example", " //evil.example"])
def test_next_never_leaves_the_site(client, db_session, target):
    _verified_user(db_session)
    response = client.post("/login?next=" + target, data={"email": "mia@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_a_local_page_is_followed(client, db_session):
    _verified_user(db_session)
    page = client.get("/login?next=/people%3Ftag%3DRust").data.decode()
    assert 'name="next" type="hidden" value="/people?tag=Rust"' in page
    response = _login(client, "mia@example.com", next="/people?tag=Rust")
    assert response.headers["Location"] == "/people?tag=Rust"


def test_forged_or_missing_csrf_token_is_refused(client, db_session, monkeypatch):
    monkeypatch.setitem(client.application.config, "WTF_CSRF_ENABLED", True)
    response = _signup(client, email="csrf@example.com")
    assert response.status_code == 400 and b"Form expired" in response.data
    response = client.post("/signup", data={"name": "X", "email": "csrf@example.com", "password": PASSWORD,
                                            "confirm": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert _user(db_session, "csrf@example.com") is None
    _verified_user(db_session)
    client.post("/logout")
    assert _login(client, "mia@example.com").status_code == 400
    # With the real token from the page it works.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").data.decode())[1]
    assert _login(client, "mia@example.com", csrf_token=token).status_code == 302


def test_login_rate_limit_returns_429(client, db_session):
    for _ in range(10):
        assert _login(client, "nobody@example.com", "wrong-password-1").status_code == 200
    response = _login(client, "nobody@example.com", "wrong-password-1")
    assert response.status_code == 429 and b"Too many attempts" in response.data
    assert client.get("/login").status_code == 200  # only attempts count


def test_sign_up_rate_limit_is_configurable(client, db_session, monkeypatch):
    monkeypatch.setitem(client.application.config, "RATELIMIT_SIGNUP", "2/minute")
    for n in range(2):
        _signup(client, email=f"n{n}@example.com")
    assert _signup(client, email="n3@example.com").status_code == 429
    assert _user(db_session, "n3@example.com") is None


def test_forgot_and_reset_password(client, db_session, outbox_dir):
    _verified_user(db_session)
    for address in ("mia@example.com", "ghost@example.com"):
        response = client.post("/password/forgot", data={"email": address}, follow_redirects=True)
        assert b"If an account exists for that address" in response.data
    assert mails_to(db_session, "ghost@example.com") == []
    [message] = mails_to(db_session, "mia@example.com")
    link = extract_link(mail_body(outbox_dir, message), "password/reset/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert b"at least 10" in response.data
    response = client.post(link, data={"password": "my-new-password-9", "confirm": "my-new-password-9"})
    assert response.status_code == 302 and _logged_in(client)
    assert client.get(link).status_code == 400  # used
    client.post("/logout")
    assert _login(client, "mia@example.com").status_code == 200  # old password is gone
    assert _login(client, "mia@example.com", "my-new-password-9").status_code == 302


def test_garbled_links_get_friendly_pages(client, db_session):
    response = client.get("/verify/not-a-token")
    assert response.status_code == 400 and b"invalid or has expired" in response.data
    assert client.get("/password/reset/garbage").status_code == 400


def test_change_password_requires_login_and_current_password(client, db_session):
    assert client.get("/password/change").status_code == 302
    _verified_user(db_session)
    _login(client, "mia@example.com")
    assert b"Change your password" in client.get("/password/change").data
    response = client.post("/password/change", data={"current_password": "wrong-password-1",
                                                     "password": "a-new-password-1", "confirm": "a-new-password-1"})
    assert b"current password is wrong" in response.data


def test_account_pages_render(client):
    for path in ("/login", "/signup", "/verify/resend", "/password/forgot"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"<h1>" in response.data and b"<label" in response.data


def test_resend_form_on_the_login_page_works_with_csrf(client, db_session, monkeypatch):
    monkeypatch.setitem(client.application.config, "WTF_CSRF_ENABLED", True)
    services.register_account(db_session, "Una", "una@example.com", PASSWORD)
    db_session.commit()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").data.decode())[1]
    page = _login(client, "una@example.com", csrf_token=token).data.decode()
    form = page[page.index('action="/verify/resend"'):]
    resend_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
    response = client.post("/verify/resend", data={"email": "una@example.com", "csrf_token": resend_token})
    assert response.status_code == 302
    assert len(mails_to(db_session, "una@example.com")) == 1


def test_an_app_made_without_rate_limits_leaves_this_one_limited(client, db_session, monkeypatch, tmp_path):
    from portal import create_app

    create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}", "SECRET_KEY": "x",
                "INSTANCE_PATH": str(tmp_path), "RATELIMIT_ENABLED": False})
    monkeypatch.setitem(client.application.config, "RATELIMIT_SIGNUP", "2/minute")
    for n in range(2):
        _signup(client, email=f"k{n}@example.com")
    assert _signup(client, email="k3@example.com").status_code == 429
