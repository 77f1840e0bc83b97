"""Forms of the ecosystem-admin console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField

from portal.auth.models import ROLES

ROLE_LABELS = {"member": "Member", "ecosystem_admin": "Ecosystem admin"}


class MembersOnlyForm(FlaskForm):
    members_only = BooleanField("Members-only portal: visitors must log in to see anything")


class UserRoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r, ROLE_LABELS.get(r, r)) for r in ROLES],
                       validate_choice=False)


class ActionForm(FlaskForm):
    """A button that posts: only the CSRF token."""
