"""Introduction forms. Length limits mirror the services, which check again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.introductions.rules import NOTE_MAX
from portal.introductions.services import DECLINE_REASONS

DIRECT, BROKER = "direct", "broker"


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class RequestForm(FlaskForm):
    route = RadioField("How should we ask?", choices=[
        SelectChoice(DIRECT, "Ask them directly"),
        SelectChoice(BROKER, "Ask an ecosystem admin to introduce us"),
    ], default=DIRECT, validators=[InputRequired("Please choose how to ask.")])
    message = TextAreaField("Why would you like to meet?", validators=[Optional(), Length(max=NOTE_MAX)],
                            render_kw={"rows": 5, "maxlength": NOTE_MAX},
                            description="They (or the admins) see this message with your request.")


class AnswerForm(FlaskForm):
    reason = SelectField("Reason if you decline (optional)",
                         choices=[SelectChoice("", "No reason given"),
                                  *(SelectChoice(code, label) for code, label in DECLINE_REASONS.items())], default="",
                         validators=[Optional()],
                         description="Only this neutral wording is shown to whoever asked.")


YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class FollowupForm(FlaskForm):
    met = RadioField("Did you meet?", choices=YES_NO, validators=[InputRequired("Please answer yes or no.")])
    partnership = RadioField("Did a partnership come of it?", choices=YES_NO,
                             validators=[InputRequired("Please answer yes or no.")])
