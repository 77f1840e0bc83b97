"""Webhook forms. The services check everything again (URL safety, event names, lengths)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.webhooks.addresses import URL_MAX
from portal.webhooks.catalogue import EVENT_TYPES
from portal.webhooks.services import DESCRIPTION_MAX


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """An unknown choice is the service's error to report (with its name), not WTForms'."""


class SubscriptionForm(FlaskForm):
    url = StringField("Endpoint URL", validators=[DataRequired("Please enter the URL of your endpoint."),
                                                 Length(max=URL_MAX)],
                      render_kw={"maxlength": URL_MAX, "placeholder": "https://hooks.example.com/partnermesh",
                                 "inputmode": "url"},
                      description="Where PartnerMesh POSTs each event as JSON. It must be https:// and reachable "
                                  "on the internet (private and local addresses are refused).")
    description = StringField("Description (optional)", validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                              render_kw={"maxlength": DESCRIPTION_MAX, "placeholder": "Our CRM"})
    event_types = CheckboxesField("Events", choices=[SelectChoice(e.name, e.label) for e in EVENT_TYPES.values()])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
