"""Forms of the account pages; max lengths match the columns (email 254, name 120)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.auth.passwords import MAX_LENGTH, MIN_LENGTH

PASSWORD_HINT = f"At least {MIN_LENGTH} characters. A few unrelated words make a good one."


def _email_field(label: str = "Email") -> EmailField:
    return EmailField(label, validators=[DataRequired("Please enter your email address."), Length(max=254),
                                         Email("Please enter a valid email address.")],
                      render_kw={"autocomplete": "email", "maxlength": 254})


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(label, validators=[DataRequired("Please choose a password."),
                                            Length(max=MAX_LENGTH, message=f"Use at most {MAX_LENGTH} characters.")],
                         render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH})


def _confirm_field() -> PasswordField:
    return PasswordField("Confirm password", validators=[
        DataRequired("Please repeat the password."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH})


class SignupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Please enter your name."), Length(max=120)],
                       render_kw={"autocomplete": "name", "maxlength": 120})
    email = _email_field()
    password = _new_password_field("Password")
    confirm = _confirm_field()
    submit = SubmitField("Sign up")


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField("Password", validators=[DataRequired("Please enter your password."),
                                                     Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password", "maxlength": MAX_LENGTH})
    remember = BooleanField("Remember me on this device")
    next = HiddenField()
    submit = SubmitField("Log in")


class EmailOnlyForm(FlaskForm):
    email = _email_field()
    submit = SubmitField("Send the link")


class ResetPasswordForm(FlaskForm):
    password = _new_password_field("New password")
    confirm = _confirm_field()
    submit = SubmitField("Set the new password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired("Please enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_LENGTH})
    password = _new_password_field("New password")
    confirm = _confirm_field()
    submit = SubmitField("Change password")
