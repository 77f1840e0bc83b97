"""`portal users ...`: create ecosystem admins, change roles, list accounts."""

from __future__ import annotations

import secrets
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from portal.auth.models import ROLE_ECOSYSTEM_ADMIN, ROLES


@click.group("users")
def users_group() -> None:
    """Login accounts."""


def _read_password(from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The password and whether it was generated (then it is printed once)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if generate or not sys.stdin.isatty():
        return secrets.token_urlsafe(15), True
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


@users_group.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="Name on the admin's profile.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--generate-password", is_flag=True,
              help="Generate a password and print it (the default when standard input is not a terminal).")
@with_appcontext
def create_admin_command(email: str, name: str, password_stdin: bool, generate_password: bool) -> None:
    """Create a verified ecosystem-admin account with its profile."""
    from portal.auth.services import register_account
    from portal.db import db
    from portal.errors import DomainError

    password, generated = _read_password(password_stdin, generate_password)
    try:
        user = register_account(db.session, name, email, password, verified=True, role=ROLE_ECOSYSTEM_ADMIN)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created ecosystem admin {user.email}.")
    if generated:
        click.echo(f"Password: {password}")


@users_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role_command(email: str, role: str) -> None:
    """Make an account a member or an ecosystem admin."""
    from portal.auth.services import set_role, user_by_email
    from portal.db import db
    from portal.errors import DomainError

    user = user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"No account with the email {email!r}.")
    try:
        set_role(db.session, user, role)
        db.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"{user.email} is now {role}.")


@users_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every account with its role and state."""
    from portal.auth.services import list_users
    from portal.db import db

    users = list_users(db.session)
    if not users:
        click.echo("No accounts yet. Create one with `portal users create-admin EMAIL --name NAME`.")
        return
    for user in users:
        state = ("suspended" if user.suspended_at else "active" if user.email_verified_at else "unverified")
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        click.echo(f"{user.email:<40} {user.role:<16} {state:<10} last login: {last}")


def register(app: Flask) -> None:
    """Attach this feature's commands."""
    app.cli.add_command(users_group)
