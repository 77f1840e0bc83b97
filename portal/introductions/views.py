"""Introduction pages: my introductions, one introduction (answer, conversation, follow-up) and
the request form reachable from profiles and recommendations."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.db import db
from portal.errors import DomainError, NotFound
from portal.extensions import limiter
from portal.introductions import conversation, services
from portal.introductions.forms import BROKER, DIRECT, ActionForm, AnswerForm, FollowupForm, RequestForm
from portal.introductions.settings import settings_from
from portal.messages.services import unread_counts
from portal.profiles.models import Person
from portal.profiles.services import person_cards
from portal.profiles.visibility import viewer_for, visible_fields_for
from portal.web import commit_flash_action, commit_form_action, current_person

bp = Blueprint("introductions", __name__, url_prefix="/introductions")


def _limit(key: str, default: str):
    """A limit read from app config when the request comes (tests and deployments change it)."""
    return lambda: current_app.config.get(key, default)


def _per_member() -> str:
    """Count per member, not per address: members behind one office NAT do not share a budget."""
    return f"member:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr or "?"


request_limit = limiter.limit(_limit("RATELIMIT_INTRODUCTIONS", "10/hour;3/minute"), key_func=_per_member,
                              methods=["POST"])


def _settings():
    return settings_from(current_app.config)


def _me() -> Person:
    person = current_person()
    if person is None:
        abort(403, "Your account has no profile yet.")
    return person


def _detail_or_404(introduction_id: int):
    try:
        return services.introduction_detail(db.session, _me(), introduction_id, settings=_settings())
    except NotFound:
        abort(404)


@bp.get("/")
@login_required
def index():
    me = _me()
    mine = services.my_introductions(db.session, me, settings=_settings())
    asked_admins = services.list_broker_requests(db.session, requester_id=me.id)
    db.commit()  # introductions found past their date were just marked expired
    return render_template("introductions/index.html", mine=mine, asked_admins=asked_admins,
                           action_form=ActionForm(), settings=_settings())


@bp.route("/request/<int:person_id>", methods=["GET", "POST"])
@login_required
@request_limit
def request_form(person_id: int):
    me = _me()
    target = db.session.get(Person, person_id)
    if target is None:
        abort(404)
    mutual = services.mutual_connections(db.session, me, target)
    blocker = services.introduction_blocker(db.session, me, target, via_broker=True)
    direct_blocker = services.introduction_blocker(db.session, me, target) if blocker is None else None
    form = RequestForm()
    if direct_blocker:  # e.g. not joined yet: only the admins can reach them
        form.route.choices = [choice for choice in form.route.choices if choice.value == BROKER]
    if request.method == "GET":
        # Without a mutual connection an admin is the natural go-between.
        form.route.data = DIRECT if mutual and not direct_blocker else BROKER
    elif form.validate_on_submit():
        if form.route.data == BROKER:
            ask = services.ask_broker
            done_message = f"The ecosystem admins will consider introducing you to {target.name}."
        else:
            ask = services.request_introduction
            done_message = (f"Your request is on its way to {target.name}. "
                            "Contact details are shared only if they accept.")
        done, _ = commit_form_action(form, ask, me, target, form.message.data or "", settings=_settings(),
                                     error_fields={"note": "message"})  # the services call the message a note
        if done:
            flash(done_message, "success")
            return redirect(url_for("introductions.index"))
    viewer = viewer_for(db.session, current_user, me)
    card = person_cards(db.session, [target], viewer)[0]
    status = 400 if request.method == "POST" else 200
    return render_template("introductions/request.html", target=target, card=card, mutual=mutual,
                           blocker=blocker, direct_blocker=direct_blocker, form=form), status


@bp.get("/<int:introduction_id>")
@login_required
def show(introduction_id: int):
    me = _me()
    if current_user.is_ecosystem_admin:
        # An admin who is not one of the two (the broker console links here) gets the broker's view.
        try:
            services.introduction_detail(db.session, me, introduction_id, settings=_settings())
        except NotFound:
            return _render_admin_view(introduction_id)
    return _render_detail(introduction_id)


def _render_admin_view(introduction_id: int):
    try:
        view = services.introduction_for_admin(db.session, introduction_id)
    except NotFound:
        abort(404)
    db.commit()  # a lazily expired introduction stays expired
    return render_template("introductions/admin_show.html", view=view)


def _render_detail(introduction_id: int, *, answer_form=None, followup_form=None, status: int = 200):
    """The detail page; a form's errors also show on top when the page has no room for that form
    (answering an introduction that was already decided)."""
    errors = [e for form in (answer_form, followup_form) if form is not None for e in form.form_errors]
    me = _me()
    view = _detail_or_404(introduction_id)
    db.commit()  # a lazily expired introduction stays expired
    viewer = viewer_for(db.session, current_user, me)
    other_card = person_cards(db.session, [view.other], viewer)[0]
    # Contact details only once both said yes (they are connected then, so the usual rules allow it).
    contact = None
    if view.introduction.status == "accepted" and "email" in visible_fields_for(view.other, viewer):
        contact = view.other.email
    # The conversation lives in portal/messages; the page links to it with its unread count.
    chat, unread = None, 0
    if view.introduction.status == "accepted":
        chat = conversation.conversation_for(db.session, me, introduction_id)
        unread = unread_counts(db.session, me.id).get(chat.id, 0)
    return render_template("introductions/show.html", view=view, card=other_card, contact=contact,
                           conversation=chat, unread=unread, answer_form=answer_form or AnswerForm(),
                           followup_form=followup_form or FollowupForm(), action_form=ActionForm(),
                           errors=errors), status


@bp.post("/<int:introduction_id>/answer")
@login_required
def answer(introduction_id: int):
    me = _me()
    form = AnswerForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("accept", "decline"):
        if decision not in ("accept", "decline"):
            form.form_errors.append("Please choose Accept or Decline.")
        return _render_detail(introduction_id, answer_form=form, status=400)
    done, introduction = commit_form_action(form, services.answer_introduction, me, introduction_id,
                                            decision == "accept", form.reason.data or "", settings=_settings())
    if not done:
        return _render_detail(introduction_id, answer_form=form, status=400)
    if introduction.status == "accepted":
        flash("You are introduced and connected. The conversation is open below.", "success")
    elif decision == "accept":
        flash("Thank you. We will tell you when the other person answers.", "success")
    else:
        flash("You declined the introduction.", "info")
    return redirect(url_for("introductions.show", introduction_id=introduction_id))


@bp.post("/<int:introduction_id>/withdraw")
@login_required
def withdraw(introduction_id: int):
    form = ActionForm()
    if form.validate_on_submit():
        done, _ = commit_flash_action(services.withdraw_introduction, _me(), introduction_id)
        if done:
            flash("You withdrew your request.", "info")
    return redirect(url_for("introductions.show", introduction_id=introduction_id))


@bp.get("/<int:introduction_id>/conversation")
@login_required
def open_conversation(introduction_id: int):
    """The introduction's conversation, on the messages pages."""
    try:
        chat = conversation.conversation_for(db.session, _me(), introduction_id)
    except NotFound:
        abort(404)
    except DomainError as error:  # not accepted (yet)
        flash(error.message, "info")
        return redirect(url_for("introductions.show", introduction_id=introduction_id))
    return redirect(url_for("messages.show", conversation_id=chat.id))


@bp.post("/<int:introduction_id>/followup")
@login_required
def followup(introduction_id: int):
    form = FollowupForm()
    if form.validate_on_submit():
        done, _ = commit_form_action(form, services.answer_followup, _me(), introduction_id,
                                     met=form.met.data == "yes", partnership=form.partnership.data == "yes")
        if done:
            flash("Thank you for letting us know.", "success")
            return redirect(url_for("introductions.show", introduction_id=introduction_id))
    return _render_detail(introduction_id, followup_form=form, status=400)


@bp.post("/broker-requests/<int:request_id>/withdraw")
@login_required
def withdraw_broker_request(request_id: int):
    form = ActionForm()
    if form.validate_on_submit():
        done, _ = commit_flash_action(services.withdraw_broker_request, _me(), request_id)
        if done:
            flash("You withdrew your request to the ecosystem admins.", "info")
    return redirect(url_for("introductions.index"))
