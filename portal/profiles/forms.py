"""Forms of profile pages. Length limits match the columns; the services check again."""

from __future__ import annotations

from flask import url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.routing import BuildError
from wtforms import SelectChoice, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length

from portal.profiles.editing import MAX_LINKS
from portal.profiles.models import PRIVATE_FIELDS, REGIONS

VISIBILITY_CHOICES = [SelectChoice("public", "Everyone"), SelectChoice("members", "Members"),
                      SelectChoice("connections", "My connections")]
FIELD_LABELS = {"headline": "headline", "bio": "bio", "location": "location", "job_title": "job title",
                "email": "email address", "skills": "skills", "interests": "interests", "offers": "offers",
                "needs": "looking for", "links": "links"}
TAG_HINT = "Comma-separated, e.g. SAP consulting, Data migration"


def _max(n: int) -> dict:
    return {"maxlength": n}


def _tag_attrs() -> dict:
    try:
        return {"maxlength": 2000, "data-tag-autocomplete": url_for("tags.suggest"), "autocomplete": "off"}
    except BuildError:
        return {"maxlength": 2000}


class ProfileForm(FlaskForm):
    name = StringField("Name", render_kw=_max(120),
                       validators=[DataRequired("Please enter your name."), Length(max=120)])
    headline = StringField("Headline", render_kw=_max(160), validators=[Length(max=160)],
                           description="One line about what you do, e.g. SAP integration architect")
    bio = TextAreaField("Bio", render_kw={"maxlength": 5000, "rows": 8}, validators=[Length(max=5000)],
                        description="Markdown: **bold**, *italic*, [links](https://example.com), lists.")
    location = StringField("Location", render_kw=_max(120), validators=[Length(max=120)])
    region = SelectField("Region", validate_choice=False,
                         choices=[SelectChoice("", "— Choose a region —")] + [SelectChoice(r, r) for r in REGIONS])
    job_title = StringField("Job title", render_kw=_max(120), validators=[Length(max=120)])
    skills = StringField("Skills", validators=[Length(max=2000)], description=TAG_HINT)
    interests = StringField("Interests", validators=[Length(max=2000)], description=TAG_HINT)
    offers = StringField("Offers", validators=[Length(max=2000)], description="What you can help partners with")
    needs = StringField("Looking for", validators=[Length(max=2000)], description="What you need from partners")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for tag_field in (self.skills, self.interests, self.offers, self.needs):
            tag_field.render_kw = _tag_attrs()

    def link_fields(self):
        return [(getattr(self, f"link_label_{i}"), getattr(self, f"link_url_{i}")) for i in range(1, MAX_LINKS + 1)]

    def visibility_fields(self):
        return {name: getattr(self, f"vis_{name}") for name in PRIVATE_FIELDS}


for _i in range(1, MAX_LINKS + 1):
    setattr(ProfileForm, f"link_label_{_i}", StringField(f"Link {_i} label", render_kw=_max(60),
                                                         validators=[Length(max=60)]))
    setattr(ProfileForm, f"link_url_{_i}", URLField(f"Link {_i} URL", render_kw={"maxlength": 300,
                                                    "placeholder": "https://"}, validators=[Length(max=300)]))
for _name in PRIVATE_FIELDS:
    # "Visible to", not "Who sees your skills": the field's own label must stay the only one naming it.
    setattr(ProfileForm, f"vis_{_name}", SelectField("Visible to", choices=VISIBILITY_CHOICES,
                                                     validate_choice=False))


class AvatarForm(FlaskForm):
    avatar = FileField("Avatar image", render_kw={"accept": "image/png,image/jpeg,image/webp,image/gif"})


class ConnectForm(FlaskForm):
    message = TextAreaField("Message (optional)", render_kw={"maxlength": 500, "rows": 3},
                            validators=[Length(max=500)])


class ActionForm(FlaskForm):
    """A button that posts: only the CSRF token."""
