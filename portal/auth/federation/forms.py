"""Forms of federated login: company sign-in (email first), linking, provider configuration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.auth.passwords import MAX_LENGTH


class CompanySignInForm(FlaskForm):
    """Email first: its domain decides which company identity provider signs the person in."""

    email = EmailField("Work email", validators=[DataRequired("Please enter your work email address."),
                                                 Length(max=254), Email("Please enter a valid email address.")],
                       render_kw={"autocomplete": "email", "maxlength": 254})
    next = HiddenField()
    submit = SubmitField("Continue with your company's sign-in")


class LinkAccountForm(FlaskForm):
    password = PasswordField("Password of your PartnerMesh account", validators=[
        DataRequired("Please enter the password of your PartnerMesh account."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_LENGTH})
    submit = SubmitField("Link and sign in")


class ProviderForm(FlaskForm):
    issuer = StringField("Issuer URL", validators=[DataRequired("Please enter the issuer URL."), Length(max=500)],
                         render_kw={"maxlength": 500, "placeholder": "https://login.example.com",
                                    "inputmode": "url"})
    client_id = StringField("Client ID", validators=[DataRequired("Please enter the client ID."), Length(max=255)],
                            render_kw={"maxlength": 255, "autocomplete": "off"})
    client_secret = PasswordField("Client secret", validators=[Optional(), Length(max=1000)],
                                  render_kw={"maxlength": 1000, "autocomplete": "new-password"})
    domains = StringField("Email domains it signs in", validators=[Length(max=2000)],
                          render_kw={"maxlength": 2000, "placeholder": "example.com, example.de"})
    sso_domains = StringField("Domains that must use company sign-in", validators=[Length(max=2000)],
                              render_kw={"maxlength": 2000})
    name = StringField("Claim for the name", validators=[Length(max=100)], render_kw={"maxlength": 100})
    job_title = StringField("Claim for the job title", validators=[Length(max=100)], render_kw={"maxlength": 100})
    headline = StringField("Claim for the headline", validators=[Length(max=100)], render_kw={"maxlength": 100})
    role_claim = StringField("Claim that carries the role", validators=[Length(max=100)],
                             render_kw={"maxlength": 100, "placeholder": "groups"})
    admin_values = TextAreaField("Values of that claim that make someone a company admin",
                                 validators=[Length(max=2000)], render_kw={"rows": 2, "maxlength": 2000})
    button_label = StringField("Name of the sign-in shown to people", validators=[Length(max=120)],
                               render_kw={"maxlength": 120, "placeholder": "Acme single sign-on"})
    submit = SubmitField("Check and save")


class DeleteProviderForm(FlaskForm):
    submit = SubmitField("Remove the identity provider")


def split_list(raw: str | None) -> list[str]:
    """Comma-, space- or newline-separated entries."""
    return [item for item in (raw or "").replace(",", " ").split() if item]
