"""Document forms. The services check everything again; these give early, field-level messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.documents.models import VISIBILITY_LABELS
from portal.documents.services import DESCRIPTION_MAX, LINK_MAX, NOTE_MAX, TITLE_MAX

VISIBILITY_CHOICES = [SelectChoice(key, label) for key, label in VISIBILITY_LABELS.items()]


class DocumentForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Please give the document a title."),
                                             Length(max=TITLE_MAX)], render_kw={"maxlength": TITLE_MAX})
    description = TextAreaField("Description (optional)", validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                                render_kw={"rows": 4, "maxlength": DESCRIPTION_MAX})
    visibility = SelectField("Who may see it", choices=VISIBILITY_CHOICES,
                             description="Partners are companies in an active partnership with yours.")


class VersionForm(FlaskForm):
    file = FileField("File")
    link = StringField("…or a link", validators=[Optional(), Length(max=LINK_MAX)],
                       render_kw={"maxlength": LINK_MAX, "placeholder": "https://", "inputmode": "url"},
                       description="An http:// or https:// address, for a document kept elsewhere.")
    note = TextAreaField("What changed (optional)", validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"rows": 3, "maxlength": NOTE_MAX})


class NewDocumentForm(DocumentForm, VersionForm):
    """A document and its first version on one page."""


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
