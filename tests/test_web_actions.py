"""commit_form_action and commit_flash_action (portal/web.py): a service's error reaches the user as
a form error or a flashed message, except a missing object (404) and a forbidden one (403); either
way nothing the action wrote is saved."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import StringField

from portal.admin.services import get_setting, set_setting
from portal.db import db
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.messages import services as messages
from portal.messages.models import Message, Participant
from portal.web import commit_flash_action, commit_form_action
from tests.test_companies_support import login, make_user

KEY = "test_web_actions"


class TitleForm(FlaskForm):
    title = StringField("Title")


def save_then(session, value: str, error: DomainError | None = None) -> str:
    """An action that writes, then fails with `error` (if any)."""
    set_setting(session, KEY, value)
    if error is not None:
        raise error
    return value


def _with_form(action, *args, **kwargs):
    return commit_form_action(TitleForm(), action, *args, **kwargs)


@pytest.mark.parametrize("run", [_with_form, commit_flash_action], ids=["form", "flash"])
@pytest.mark.parametrize("error, code", [(NotFound("There is no such thing."), 404),
                                         (PermissionDenied("Only its owner can change this."), 403)])
def test_missing_or_forbidden_is_an_error_page_and_nothing_is_saved(app, run, error, code):
    with app.test_request_context("/", method="POST"):
        with pytest.raises(HTTPException) as raised:
            run(save_then, "changed", error)
        assert raised.value.code == code
        if code == 403:  # the error page shows why (portal.web._http_error)
            assert raised.value.description == "Only its owner can change this."
        assert get_setting(db.session, KEY) == ""
        assert get_flashed_messages() == []


def test_other_domain_errors_stay_on_the_form(app):
    with app.test_request_context("/", method="POST"):
        form = TitleForm()
        done, result = commit_form_action(form, save_then, "changed", DomainError("Too long.", field="title"))
        assert (done, result) == (False, None)
        assert form.title.errors == ["Too long."] and form.form_errors == []
        assert get_setting(db.session, KEY) == ""

        # A field the form does not have goes on top; error_fields maps a service's name to the form's.
        commit_form_action(form, save_then, "changed", DomainError("Say more.", field="note"))
        assert form.form_errors == ["Say more."]
        commit_form_action(form, save_then, "changed", DomainError("Say less.", field="note"),
                           error_fields={"note": "title"})
        assert form.title.errors == ["Too long.", "Say less."]


def test_flash_action_flashes_other_domain_errors(app):
    with app.test_request_context("/", method="POST"):
        done, _ = commit_flash_action(save_then, "changed", DomainError("Not now."))
        assert not done
        assert get_flashed_messages(with_categories=True) == [("error", "Not now.")]
        assert get_setting(db.session, KEY) == ""


def test_success_is_committed(app):
    with app.test_request_context("/", method="POST"):
        assert commit_form_action(TitleForm(), save_then, "first") == (True, "first")
        assert commit_flash_action(save_then, "second") == (True, "second")
    with app.app_context():
        assert get_setting(db.new_session(), KEY) == "second"


def test_forbidden_and_missing_conversation_through_http(client, session):
    """Adding people to a group one did not start is a 403 that says why; writing to a conversation
    one is not in is a 404. Neither changes the conversation."""
    (ann_user, ann), (bob_user, bob), (_, cat), (_, dan) = (
        make_user(session, f"{name}@example.org", name=f"{name.title()} Member")
        for name in ("ann", "bob", "cat", "dan"))
    first = messages.start_conversation(session, ann, [bob, cat], "Welcome!", title="Launch team")
    session.commit()
    chat_url = f"/messages/{first.conversation_id}"

    login(client, bob_user)
    response = client.post(f"{chat_url}/people", data={"to": dan.slug})
    assert response.status_code == 403
    assert "Only the person who started this conversation can add people." in response.get_data(as_text=True)
    in_chat = session.scalars(select(Participant.person_id)
                              .where(Participant.conversation_id == first.conversation_id)).all()
    assert dan.id not in in_chat

    login(client, ann_user)
    assert client.post(f"{chat_url}/leave").status_code == 302
    assert client.post(chat_url, data={"body": "Still here?"}).status_code == 404
    bodies = session.scalars(select(Message.body).where(Message.conversation_id == first.conversation_id)).all()
    assert "Still here?" not in bodies
