"""Forms of the broker console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.broker.services import (
    MAX_CANDIDATES_PER_PERSON,
    MAX_PER_PERSON_LIMIT,
    NOTE_PLACEHOLDERS,
    BatchOptions,
    Segment,
)
from portal.companies.models import INDUSTRIES, PARTNER_TYPES, company_regions

MAX_NOTE = 2000
NOTE_HINT = "Shown to both people. You may use " + ", ".join("{" + p + "}" for p in NOTE_PLACEHOLDERS) + "."


def _choices(values, any_label: str) -> list[SelectChoice]:
    pairs = values.items() if isinstance(values, dict) else ((v, v) for v in values)
    return [SelectChoice("", any_label), *(SelectChoice(value, label) for value, label in pairs)]


class SegmentFields:
    """Region, industry and partner type selects (bad values fail validation: WTForms checks choices)."""

    @staticmethod
    def region():
        return SelectField("Region of their company", choices=_choices(company_regions(), "Any region"),
                           default="")

    @staticmethod
    def industry():
        return SelectField("Industry of their company", choices=_choices(INDUSTRIES, "Any industry"), default="")

    @staticmethod
    def partner_type():
        return SelectField("Partner type of their company", choices=_choices(PARTNER_TYPES, "Any partner type"),
                           default="")


class BatchForm(FlaskForm):
    region = SegmentFields.region()
    industry = SegmentFields.industry()
    partner_type = SegmentFields.partner_type()
    both_in_segment = BooleanField("Both people in the segment (otherwise at least one)", default=True)
    per_person_limit = IntegerField(
        "Proposals per person (k, per week)", default=2,
        validators=[InputRequired(), NumberRange(1, MAX_PER_PERSON_LIMIT)],
        render_kw={"min": 1, "max": MAX_PER_PERSON_LIMIT})
    candidates_per_person = IntegerField(
        "Candidates considered per person", default=10,
        validators=[InputRequired(), NumberRange(1, MAX_CANDIDATES_PER_PERSON)],
        render_kw={"min": 1, "max": MAX_CANDIDATES_PER_PERSON})

    def options(self) -> BatchOptions:
        return BatchOptions(segment=Segment(self.region.data or "", self.industry.data or "",
                                            self.partner_type.data or ""),
                            per_person_limit=self.per_person_limit.data,
                            candidates_per_person=self.candidates_per_person.data,
                            both_in_segment=bool(self.both_in_segment.data))


class ProposeForm(FlaskForm):
    """One row's personal note."""

    note = TextAreaField("Personal note", validators=[DataRequired(), Length(max=MAX_NOTE)],
                         render_kw={"rows": 3, "maxlength": MAX_NOTE})


class BulkProposeForm(FlaskForm):
    """A note template for the selected rows (the checkboxes are plain `item` inputs)."""

    note = TextAreaField("Note for the selected suggestions", validators=[DataRequired(), Length(max=MAX_NOTE)],
                         default="{name_a}, meet {name_b} of {company_b}: I think you two should talk.",
                         render_kw={"rows": 3, "maxlength": MAX_NOTE})


class PipelineForm(FlaskForm):
    """GET filters of the pipeline view (no CSRF: it only reads)."""

    class Meta:
        csrf = False

    region = SegmentFields.region()
    industry = SegmentFields.industry()
    partner_type = SegmentFields.partner_type()
    since = DateField("From", validators=[Optional()])
    until = DateField("Until (exclusive)", validators=[Optional()])

    def segment(self) -> Segment:
        return Segment(self.region.data or "", self.industry.data or "", self.partner_type.data or "")
