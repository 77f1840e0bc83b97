"""`portal users ...` commands and the ecosystem-admin decorator."""

from __future__ import annotations

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden

import tests.test_auth_support as support
from portal.auth import services
from portal.auth.permissions import ecosystem_admin_required
from portal.profiles.services import person_for_user
from tests.test_auth_support import PASSWORD

db_session = support.db_session  # fixture
fast_password_hashing = support.fast_password_hashing  # fixture


def _user(db_session, email):
    db_session.expire_all()
    return services.user_by_email(db_session, email)


def test_create_admin_with_password_from_stdin(runner, db_session):
    result = runner.invoke(args=["users", "create-admin", "Root@Example.com", "--name", "Rita Root",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Password:" not in result.output
    user = _user(db_session, "root@example.com")
    assert user.is_ecosystem_admin and user.email_verified_at is not None
    assert services.verify_password(user.password_hash, PASSWORD)
    assert person_for_user(db_session, user.id).name == "Rita Root"


def test_create_admin_generates_and_prints_a_password(runner, db_session):
    result = runner.invoke(args=["users", "create-admin", "gen@example.com", "--name", "Gen"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ", 1)[1].strip()
    assert services.verify_password(_user(db_session, "gen@example.com").password_hash, password)


def test_bad_input_is_a_message_not_a_traceback(runner, db_session):
    cases = [
        (["users", "create-admin", "not-an-email", "--name", "X", "--password-stdin"], PASSWORD + "\n",
         "valid email"),
        (["users", "create-admin", "weak@example.com", "--name", "X", "--password-stdin"], "short\n",
         "at least 10"),
        (["users", "create-admin", "x@example.com", "--name", "", "--password-stdin"], PASSWORD + "\n", "name"),
        (["users", "set-role", "nobody@example.com", "member"], None, "No account"),
        (["users", "set-role", "x@example.com", "emperor"], None, "Invalid value"),
    ]
    for args, stdin, message in cases:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output and not isinstance(result.exception, (ValueError, TypeError))


def test_set_role_and_list(runner, db_session):
    runner.invoke(args=["users", "create-admin", "a@example.com", "--name", "A", "--generate-password"])
    services.register_account(db_session, "B", "b@example.com", PASSWORD)
    db_session.commit()
    result = runner.invoke(args=["users", "set-role", "a@example.com", "member"])
    assert result.exit_code == 1 and "last ecosystem admin" in result.output
    assert runner.invoke(args=["users", "set-role", "B@example.com", "ecosystem_admin"]).exit_code == 0
    assert runner.invoke(args=["users", "set-role", "a@example.com", "member"]).exit_code == 0
    output = runner.invoke(args=["users", "list"]).output
    assert "a@example.com" in output and "b@example.com" in output
    assert "unverified" in output.splitlines()[1] and "ecosystem_admin" in output.splitlines()[1]


def test_list_without_accounts(runner):
    assert "No accounts yet" in runner.invoke(args=["users", "list"]).output


def test_ecosystem_admin_required(app, db_session):
    @ecosystem_admin_required
    def admin_only():
        return "secret admin page"

    member = services.register_account(db_session, "Member", "m@example.com", PASSWORD, verified=True)
    admin = services.register_account(db_session, "Admin", "boss@example.com", PASSWORD, verified=True,
                                      role="ecosystem_admin")
    with app.test_request_context("/admin-only"):
        response = admin_only()
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        login_user(member)
        with pytest.raises(Forbidden):
            admin_only()
        login_user(admin)
        assert admin_only() == "secret admin page"
