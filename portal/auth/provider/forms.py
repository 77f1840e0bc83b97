"""The client registration form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from portal.auth.provider.clients import SUPPORTED_SCOPES


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClientForm(FlaskForm):
    name = StringField("Application name", validators=[DataRequired("Please name the application."),
                                                       Length(max=120)], render_kw={"maxlength": 120})
    client_type = RadioField("Type", default="confidential", choices=[
        SelectChoice("confidential", "Confidential: a server that can keep a secret"),
        SelectChoice("public", "Public: a browser or mobile app (no secret, PKCE required)")])
    auth_method = SelectField("How a confidential client authenticates", default="client_secret_basic", choices=[
        SelectChoice("client_secret_basic", "HTTP Basic (client_secret_basic)"),
        SelectChoice("client_secret_post", "In the form body (client_secret_post)")])
    grant_types = CheckboxesField("Grant types", default=["authorization_code", "refresh_token"], choices=[
        SelectChoice("authorization_code", "Authorization code (people sign in)"),
        SelectChoice("refresh_token", "Refresh tokens"),
        SelectChoice("client_credentials", "Client credentials (a system acting for your company)")])
    redirect_uris = TextAreaField("Redirect addresses, one per line",
                                  description="Compared exactly. https:// (http:// only for localhost).",
                                  validators=[Length(max=4000)])
    post_logout_redirect_uris = TextAreaField("Addresses to return to after logout, one per line",
                                              validators=[Length(max=4000)])
    scopes = CheckboxesField("Scopes it may ask for", default=["openid", "profile", "email"],
                             choices=[SelectChoice(s, s) for s in SUPPORTED_SCOPES])
    audience = StringField("Default audience (optional)", validators=[Length(max=300)],
                           description="The back-end system its tokens are for when it names none.")
    id_token_alg = SelectField("ID token signature", default="RS256",
                               choices=[SelectChoice("RS256", "RS256"), SelectChoice("ES256", "ES256")])
    submit = SubmitField("Register")


class ActionForm(FlaskForm):
    """A button (CSRF token only)."""


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
