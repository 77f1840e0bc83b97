"""Message pages: the inbox, a conversation (read, write, add people, leave) and the form that
starts one. Reports and blocks are in moderation_views.py, on the same blueprint."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.db import db
from portal.errors import NotFound
from portal.extensions import limiter
from portal.messages import RATE_LIMITS, blocking, services
from portal.messages.forms import ActionForm, AddPeopleForm, MessageForm, NewConversationForm
from portal.messages.settings import settings_from
from portal.pagination import parse_page
from portal.profiles.models import Person
from portal.web import commit_flash_action, commit_form_action, current_person

bp = Blueprint("messages", __name__, url_prefix="/messages")


def _limit(key: str):
    """A limit read from app config when the request comes (tests change it; init_app checked it)."""
    return lambda: current_app.config.get(key) or RATE_LIMITS[key]


def _per_member() -> str:
    """Count per member, not per address: members behind one office NAT do not share a budget."""
    return f"member:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr or "?"


# Everything a member sends (messages, new conversations, added people) shares one budget.
send_limit = limiter.shared_limit(_limit("RATELIMIT_MESSAGES"), "messages-send",
                                  key_func=_per_member, methods=["POST"])
# Leaving, blocking and reporting: cheap, but not to be scripted.
action_limit = limiter.shared_limit(_limit("RATELIMIT_MESSAGE_ACTIONS"), "messages-actions",
                                    key_func=_per_member, methods=["POST"])


@bp.errorhandler(429)
def _too_many(error):
    return render_template("errors/error.html", code=429, title="Slow down a little",
                           message="You are sending messages faster than we allow. Nothing was sent: "
                                   "please wait a minute, go back and try again."), 429


def settings():
    return settings_from(current_app.config)


def me() -> Person:
    person = current_person()
    if person is None:
        abort(403, "Your account has no profile yet.")
    return person


@bp.get("/")
@login_required
def inbox():
    person = me()
    page = services.inbox(db.session, person, parse_page(request.args.get("page")))
    report_count = None
    if current_user.is_ecosystem_admin:
        from portal.messages.reports import open_report_count
        report_count = open_report_count(db.session)
    return render_template("messages/inbox.html", page=page, report_count=report_count)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@send_limit
def new():
    person = me()
    form = NewConversationForm()
    if request.method == "GET" and request.args.get("to"):
        form.to.data = request.args["to"][:2000]
    if request.method == "POST":
        if form.validate_on_submit():
            done, message = commit_form_action(form, _start_conversation, person, form.to.data, form.body.data,
                                               form.title.data or "")
            if done:
                return redirect(url_for("messages.show", conversation_id=message.conversation_id,
                                        _anchor=f"m{message.id}"))
        return render_template("messages/new.html", form=form, group_max=settings().group_max), 400
    return render_template("messages/new.html", form=form, group_max=settings().group_max)


def _start_conversation(session, person: Person, addresses: str, body: str, title: str):
    """The new-conversation form's action: find the people its addresses name, then write to them."""
    recipients = services.resolve_addresses(session, addresses)
    return services.start_conversation(session, person, recipients, body, title=title, settings=settings())


def _add_people(session, person: Person, conversation_id: int, addresses: str) -> None:
    """The add-people form's action: find the people its addresses name, then add them."""
    people = services.resolve_addresses(session, addresses)
    services.add_participants(session, person, conversation_id, people, settings=settings())


def _render_conversation(conversation_id: int, *, message_form=None, add_form=None, status: int = 200):
    person = me()
    try:
        summary = services.conversation_summary(db.session, person, conversation_id)
        before = request.args.get("before", type=int)
        page = services.conversation_messages(db.session, person, conversation_id, before=before)
        if before is None and services.mark_read(db.session, person, conversation_id):
            db.commit()
    except NotFound:
        abort(404)
    others = summary.others
    blocked = blocking.blocked_ids(db.session, person.id) & {other.id for other in others}
    can_write = True
    if not summary.conversation.is_group and others:
        can_write = services.may_message(db.session, person, others[0])
    # A form's errors show on top when the page has no room for that form (writing after a block,
    # adding people to a one-to-one conversation).
    errors = []
    if message_form is not None and not can_write:
        errors += message_form.form_errors + message_form.body.errors
    if add_form is not None and not (summary.conversation.is_group and summary.is_creator):
        errors += add_form.form_errors + add_form.to.errors
    return render_template("messages/conversation.html", summary=summary, page=page, blocked=blocked,
                           errors=errors, can_write=can_write, message_form=message_form or MessageForm(),
                           add_form=add_form or AddPeopleForm(), action_form=ActionForm(),
                           group_max=settings().group_max), status


@bp.get("/<int:conversation_id>")
@login_required
def show(conversation_id: int):
    return _render_conversation(conversation_id)


@bp.post("/<int:conversation_id>")
@login_required
@send_limit
def post(conversation_id: int):
    form = MessageForm()
    if form.validate_on_submit():
        done, message = commit_form_action(form, services.post_message, me(), conversation_id, form.body.data,
                                           settings=settings())
        if done:
            return redirect(url_for("messages.show", conversation_id=conversation_id, _anchor=f"m{message.id}"))
    return _render_conversation(conversation_id, message_form=form, status=400)


@bp.post("/<int:conversation_id>/people")
@login_required
@send_limit
def add_people(conversation_id: int):
    form = AddPeopleForm()
    if form.validate_on_submit():
        done, _ = commit_form_action(form, _add_people, me(), conversation_id, form.to.data)
        if done:
            flash("Added to the conversation. They read from here on.", "success")
            return redirect(url_for("messages.show", conversation_id=conversation_id))
    return _render_conversation(conversation_id, add_form=form, status=400)


@bp.post("/<int:conversation_id>/leave")
@login_required
@action_limit
def leave(conversation_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    done, _ = commit_flash_action(services.leave_conversation, me(), conversation_id)
    if not done:
        return redirect(url_for("messages.show", conversation_id=conversation_id))
    flash("You left the conversation.", "info")
    return redirect(url_for("messages.inbox"))


@bp.app_context_processor
def unread_messages_badge() -> dict:
    """The nav's Messages link: the person's unread message count."""
    if not current_user.is_authenticated:
        return {"unread_messages_count": 0}
    person = current_person()
    return {"unread_messages_count": services.unread_total(db.session, person.id) if person else 0}
