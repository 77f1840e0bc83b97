"""Notification forms: the per-kind settings and the buttons (CSRF only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from portal.notifications.models import KINDS
from portal.notifications.services import ALLOWED_DELIVERIES, DELIVERY_LABELS, KIND_LABELS


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class SettingsForm(FlaskForm):
    """One radio group per kind, offering only that kind's deliveries (fields added below)."""

    def choices(self) -> dict[str, str]:
        return {kind: getattr(self, kind).data for kind in KINDS}

    def kind_fields(self):
        return [getattr(self, kind) for kind in KINDS]


for _kind in KINDS:
    setattr(SettingsForm, _kind, RadioField(
        KIND_LABELS[_kind], choices=[SelectChoice(d, DELIVERY_LABELS[d]) for d in ALLOWED_DELIVERIES[_kind]],
        validators=[InputRequired("Please choose how you want to hear about this.")]))
