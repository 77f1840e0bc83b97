"""`portal keys …` (signing keys) and `portal clients …` (OAuth clients) commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.auth.provider import clients, keys, tokens
from portal.auth.provider.settings import current_settings
from portal.db import db
from portal.errors import DomainError


def register(app):
    """Attach this feature's commands."""
    keys_group = AppGroup("keys", help="Signing keys of the OpenID Provider.")
    clients_group = AppGroup("clients", help="OAuth / OpenID Connect clients.")

    @keys_group.command("rotate")
    def rotate() -> None:
        """Make new active keys; the old ones stop signing and stay published until every token
        they signed has expired."""
        settings = current_settings()
        new = keys.rotate(db.session, current_app.config["SECRET_KEY"],
                          max_token_seconds=settings.max_signed_token_seconds)
        db.commit()
        for row in new:
            click.echo(f"new active {row.alg} key {row.kid}")
        click.echo(f"previous keys stay in the JWKS for {settings.max_signed_token_seconds} s")

    @keys_group.command("list")
    def list_keys() -> None:
        """Every signing key with its algorithm, creation time and status."""
        rows = keys.all_keys(db.session)
        if not rows:
            click.echo("no keys yet (they are made on first use)")
        for row in rows:
            click.echo(f"{row.kid}  {row.alg}  created {row.created_at:%Y-%m-%d %H:%M} UTC  {keys.key_status(row)}")

    @clients_group.command("list")
    def list_clients() -> None:
        """Every client: client_id, name, grant types, authentication, owner company."""
        for client in clients.all_clients(db.session):
            state = " (disabled)" if client.disabled_at else ""
            click.echo(f"{client.client_id}  {client.name}{state}  grants={','.join(client.grant_types)}  "
                       f"auth={client.token_endpoint_auth_method}  company={client.owner_company_id or '-'}")

    @clients_group.command("create")
    @click.argument("name")
    @click.option("--redirect-uri", "redirect_uris", multiple=True, help="Registered redirect URI (repeat).")
    @click.option("--post-logout-redirect-uri", "logout_uris", multiple=True, help="Where logout may return.")
    @click.option("--grant", "grant_types", multiple=True, default=["authorization_code", "refresh_token"],
                  show_default=True, type=click.Choice(["authorization_code", "refresh_token", "client_credentials"]))
    @click.option("--auth-method", default="client_secret_basic", show_default=True,
                  type=click.Choice(["client_secret_basic", "client_secret_post", "none"]))
    @click.option("--scope", "scopes", multiple=True, help="Allowed scope (repeat); default openid profile email.")
    @click.option("--company-id", type=int, default=None, help="Owner company (its org for client credentials).")
    @click.option("--audience", default=None, help="Default audience of its tokens.")
    @click.option("--id-token-alg", default="RS256", show_default=True, type=click.Choice(list(keys.ALGORITHMS)))
    def create(name, redirect_uris, logout_uris, grant_types, auth_method, scopes, company_id, audience,
               id_token_alg) -> None:
        """Register a client and print its client_id and (once) its secret."""
        try:
            client, secret = clients.register_client(
                db.session, name=name, owner_company_id=company_id, redirect_uris=list(redirect_uris),
                grant_types=list(grant_types), token_endpoint_auth_method=auth_method, scopes=list(scopes),
                audience=audience, post_logout_redirect_uris=list(logout_uris),
                id_token_signed_response_alg=id_token_alg)
            db.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        click.echo(f"client_id: {client.client_id}")
        if secret:
            click.echo(f"client_secret: {secret}  (shown once; only its digest is stored)")

    @clients_group.command("disable")
    @click.argument("client_id")
    def disable(client_id: str) -> None:
        """Stop a client from getting tokens."""
        client = clients.client_by_client_id(db.session, client_id)
        if client is None:
            raise click.ClickException(f"No enabled client {client_id!r}.")
        clients.disable_client(db.session, client)
        db.commit()
        click.echo(f"disabled {client_id}")

    @clients_group.command("purge-tokens")
    def purge() -> None:
        """Delete codes and tokens that expired more than a day ago (run daily)."""
        removed = tokens.purge_expired(db.session)
        db.commit()
        click.echo(f"removed {removed} expired codes and tokens")

    app.cli.add_command(keys_group)
    app.cli.add_command(clients_group)
