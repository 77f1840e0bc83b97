"""Partnership forms. Choices are filled in by the views; the services check everything again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.partnerships.models import PARTNERSHIP_KINDS
from portal.partnerships.services import NOTE_MAX
from portal.partnerships.systems import (
    API_SCOPE_TEXT,
    API_SCOPES,
    AUDIENCE_MAX,
    DESCRIPTION_MAX,
    ENTITLEMENT_MAX,
    NAME_MAX,
)

KIND_CHOICES = [SelectChoice(key, label) for key, label in PARTNERSHIP_KINDS.items()]
API_SCOPE_CHOICES = [SelectChoice(scope, f"{scope}: {API_SCOPE_TEXT[scope]}") for scope in API_SCOPES]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def api_scopes_field(label: str) -> CheckboxesField:
    return CheckboxesField(label, choices=API_SCOPE_CHOICES, validators=[Optional()])


def optional_int(value):
    """'' (no choice) → None; anything else must be a number (a bad one fails as an invalid choice)."""
    if value in (None, "", "None"):
        return None
    return int(value)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ProposeForm(FlaskForm):
    company = SelectField("Company", coerce=int, validators=[InputRequired("Please choose a company.")])
    kind = SelectField("Kind of partnership", choices=KIND_CHOICES,
                       validators=[InputRequired("Please choose a kind of partnership.")])
    introduction = SelectField("Introduction that led to it (optional)", coerce=optional_int, validators=[Optional()],
                               description="An accepted introduction between one of your people and someone "
                                           "at that company.")
    note = TextAreaField("Note to their admins (optional)", validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"rows": 4, "maxlength": NOTE_MAX})


class SystemForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Please enter a name."), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX})
    audience = StringField("Audience", validators=[DataRequired("Please enter the audience."),
                                                   Length(max=AUDIENCE_MAX)],
                           render_kw={"maxlength": AUDIENCE_MAX, "placeholder": "https://orders.example.com/api"},
                           description="The unique identifier tokens for this system carry in `aud`: an https:// "
                                       "address or a urn:. It cannot be changed later.")
    description = TextAreaField("Description (optional)", validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                                render_kw={"rows": 3, "maxlength": DESCRIPTION_MAX})
    api_scopes = api_scopes_field("Integration API access (optional; choosing any creates the system's OAuth "
                                  "client now and shows its secret once)")


class ApiScopesForm(FlaskForm):
    """The API scopes of the system's OAuth client: chosen when it is created, changed later."""

    api_scopes = api_scopes_field("Integration API scopes its client may ask for")


class EditSystemForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Please enter a name."), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX})
    description = TextAreaField("Description (optional)", validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                                render_kw={"rows": 3, "maxlength": DESCRIPTION_MAX})


class EntitlementForm(FlaskForm):
    name = StringField("Entitlement", validators=[DataRequired("Please enter the entitlement's name."),
                                                  Length(max=ENTITLEMENT_MAX)],
                       render_kw={"maxlength": ENTITLEMENT_MAX, "placeholder": "orders:read"},
                       description="Lower-case letters, digits, '_', '.', '-', parts joined by ':' (orders:read).")
    description = StringField("What it allows (optional)", validators=[Optional(), Length(max=500)],
                              render_kw={"maxlength": 500})


class GrantForm(FlaskForm):
    entitlement = SelectField("Entitlement", coerce=int, validators=[InputRequired("Please choose an entitlement.")])
    target = SelectField("Grant to", validators=[InputRequired("Please choose who gets it.")],
                         description="Every active partner of a kind, or one partner company.")

    def target_values(self) -> tuple[str | None, int | None]:
        """("reseller", None) for a kind, (None, 12) for a company."""
        kind, _, value = (self.target.data or "").partition(":")
        if kind == "kind":
            return value, None
        return None, int(value) if value.isdigit() else -1
