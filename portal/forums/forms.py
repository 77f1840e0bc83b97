"""Forum forms. Length limits mirror the services, which check again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forums.models import FLAG_REASONS
from portal.forums.services import MAX_BODY, MAX_TITLE


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ThreadForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE)],
                        render_kw={"maxlength": MAX_TITLE, "autocomplete": "off"})
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)],
                         render_kw={"rows": 10})
    tags = StringField("Tags", validators=[Optional(), Length(max=600)],
                       description="Up to 8, separated by commas.")


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[DataRequired(), Length(max=MAX_BODY)], render_kw={"rows": 6})
    reply_to = HiddenField()


class EditPostForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=MAX_TITLE)], render_kw={"maxlength": MAX_TITLE})
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=MAX_BODY)], render_kw={"rows": 12})


class FlagForm(FlaskForm):
    reason = SelectField("Reason", choices=[SelectChoice(k, v) for k, v in FLAG_REASONS.items()],
                         validators=[DataRequired()])
    note = TextAreaField("Anything moderators should know? (optional)", validators=[Optional(), Length(max=500)],
                         render_kw={"rows": 3, "maxlength": 500})


class HideForm(FlaskForm):
    reason = StringField("Reason shown in place of the post", validators=[Optional(), Length(max=200)],
                         render_kw={"maxlength": 200})


class MoveForm(FlaskForm):
    category = SelectField("Move to", coerce=int, validators=[DataRequired()])


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], render_kw={"maxlength": 120})
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    visibility = SelectField("Who can read it", choices=[
        SelectChoice("public", "Everyone, also without logging in"),
        SelectChoice("members", "Members only")])


class GroupForm(FlaskForm):
    name = StringField("Group name", validators=[DataRequired(), Length(max=120)], render_kw={"maxlength": 120})
    description = TextAreaField("What is it for?", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})


class GroupMemberForm(FlaskForm):
    who = StringField("Email address or profile address (e.g. dana-reyes)",
                      validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice("member", "Member"), SelectChoice("admin", "Group admin")])


class SuspendForm(FlaskForm):
    reason = StringField("Reason (kept in the audit log)", validators=[Optional(), Length(max=200)],
                         render_kw={"maxlength": 200})
