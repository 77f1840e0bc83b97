"""Forms of the ecosystem health page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from portal.health.services import DEFAULT_MONTHS, MAX_MONTHS, SEGMENTS


class HealthQueryForm(FlaskForm):
    """What to show (a GET form: no CSRF token, the query string is the state)."""

    class Meta:
        csrf = False

    segment = SelectField("Segment by", choices=[
        SelectChoice("", "Whole ecosystem only"), *(SelectChoice(k, v) for k, v in SEGMENTS.items())], default="")
    months = IntegerField("Months", default=DEFAULT_MONTHS, validators=[
        Optional(), NumberRange(1, MAX_MONTHS, message=f"Months must be between 1 and {MAX_MONTHS}.")])


class OwnerCompanyForm(FlaskForm):
    company = SelectField("Ecosystem owner company", choices=[], validate_choice=True)

    def set_companies(self, companies: list[tuple[int, str]]) -> None:
        self.company.choices = [SelectChoice("", "No owner company (only ecosystem admins are staff)"),
                                *(SelectChoice(str(cid), name) for cid, name in companies)]
