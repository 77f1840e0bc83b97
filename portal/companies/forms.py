"""Forms of company pages. Length limits match the columns; the services validate again."""

from __future__ import annotations

from flask import url_for
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.companies.models import COMPANY_SIZES, INDUSTRIES, PARTNER_TYPES, company_regions


def _choices(values, empty: str) -> list[SelectChoice]:
    return [SelectChoice("", empty)] + [SelectChoice(v, v) for v in values]


ROLE_CHOICES = [SelectChoice("member", "Member"), SelectChoice("admin", "Admin")]


def _max(n: int) -> dict:
    return {"maxlength": n}


def tag_autocomplete_attrs() -> dict:
    """Attributes that turn a text input into a tag input with suggestions (portal.js)."""
    try:
        return {"data-tag-autocomplete": url_for("tags.suggest")}
    except BuildError:  # the tags feature is not there: a plain text input still works
        return {}


class CompanyForm(FlaskForm):
    name = StringField("Company name", render_kw=_max(120),
                       validators=[DataRequired("Please enter the company name."), Length(max=120)])
    description = TextAreaField("Description", validators=[Length(max=5000)], render_kw=_max(5000),
                                description="Markdown: **bold**, *italic*, [links](https://example.com), lists.")
    website = StringField("Website", validators=[Length(max=300)], render_kw=_max(300),
                          description="Starts with http:// or https://")
    industry = SelectField("Industry", choices=_choices(INDUSTRIES, "— Choose an industry —"),
                           validate_choice=False)
    region = SelectField("Region", validate_choice=False)
    size = SelectField("Size (employees)", choices=_choices(COMPANY_SIZES, "— Choose a size —"),
                       validate_choice=False)
    partner_type = SelectField("Partner type", choices=[SelectChoice(k, v) for k, v in PARTNER_TYPES.items()],
                               default="other", validate_choice=False)
    offers = StringField("Capabilities offered", validators=[Length(max=2000)],
                         description="Comma-separated, e.g. SAP consulting, Data migration")
    needs = StringField("Looking for", validators=[Length(max=2000)],
                        description="Comma-separated capabilities you need from partners")
    email_domains = StringField("Email domains", validators=[Length(max=1000)], render_kw=_max(1000),
                                description="Comma-separated, e.g. example.com. People who sign up with these "
                                            "domains ask to join your company.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.region.choices = _choices(company_regions(), "— Choose a region —")
        for tag_field in (self.offers, self.needs):
            tag_field.render_kw = {"maxlength": 2000, **tag_autocomplete_attrs()}


class InviteForm(FlaskForm):
    email = EmailField("Email address", render_kw=_max(254),
                       validators=[DataRequired("Please enter an email address."), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)


class ActionForm(FlaskForm):
    """A button that posts: only the CSRF token."""


class VerifyForm(FlaskForm):
    verified = SelectField(choices=[SelectChoice("1", "Verify"), SelectChoice("0", "Unverify")], validate_choice=False)
