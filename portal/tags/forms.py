"""Forms of tag pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class MergeForm(FlaskForm):
    target = StringField("Merge this tag into", render_kw={"maxlength": 64},
                         validators=[DataRequired("Please name the tag to merge into."), Length(max=64)],
                         description="The name of an existing tag; this tag's uses move there.")
