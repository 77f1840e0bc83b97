"""Message forms. Length limits mirror the services, which check again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.messages.models import REPORT_REASONS
from portal.messages.reports import NOTE_MAX
from portal.messages.services import TITLE_MAX

TO_HINT = ("Profile addresses (the part after /people/ in a profile's link), separated by commas. "
           "Several people make a group.")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class MessageForm(FlaskForm):
    # The length cap is MESSAGES_MAX_LENGTH, checked by the service (the error shows on the field).
    body = TextAreaField("Your message", validators=[DataRequired("Please write a message.")], render_kw={"rows": 4},
                         description="Markdown works: **bold**, _italic_, lists and links.")


class NewConversationForm(MessageForm):
    to = StringField("To", validators=[DataRequired("Please name at least one member."), Length(max=2000)],
                     description=TO_HINT)
    title = StringField("Group title (optional)", validators=[Optional(), Length(max=TITLE_MAX)],
                        render_kw={"maxlength": TITLE_MAX}, description="Only for conversations with several people.")


class AddPeopleForm(FlaskForm):
    to = StringField("Add people", validators=[DataRequired("Please name at least one member."), Length(max=2000)],
                     description=TO_HINT)


class ReportForm(FlaskForm):
    reason = SelectField("Reason", choices=[SelectChoice("", "Choose a reason"),
                                            *(SelectChoice(code, label) for code, label in REPORT_REASONS.items())],
                         default="", validators=[InputRequired("Please choose a reason.")])
    note = TextAreaField("Anything the admins should know (optional)", validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw={"rows": 3, "maxlength": NOTE_MAX})
