"""The broker console (/broker/): suggest a batch, propose introductions, the pipeline, members'
requests. Ecosystem admins only; views parse input, call portal.broker.services, render."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from portal.auth.permissions import ecosystem_admin_required
from portal.broker import services
from portal.broker.forms import NOTE_HINT, BatchForm, BulkProposeForm, PipelineForm, ProposeForm
from portal.broker.funnel import funnel
from portal.broker.models import ITEM_FAILED, ITEM_OPEN, ITEM_PROPOSED
from portal.db import db
from portal.errors import DomainError, NotFound
from portal.forums.forms import ActionForm
from portal.introductions import services as introductions
from portal.pagination import parse_page
from portal.web import current_person, show_form_error

bp = Blueprint("broker", __name__, url_prefix="/broker")

STATUS_FILTERS = {"": "All", ITEM_OPEN: "Not proposed yet", ITEM_PROPOSED: "Proposed", ITEM_FAILED: "Failed"}


def _broker_id() -> int:
    person = current_person()
    if person is None:
        abort(403, "Your account has no profile; brokering needs one (the two people see who introduced them).")
    return person.id


@bp.get("/")
@ecosystem_admin_required
def index():
    return _index(BatchForm(formdata=None))


def _index(form: BatchForm, status: int = 200):
    return render_template("broker/index.html", form=form, batches=services.recent_batches(db.session),
                           open_requests=len(introductions.list_broker_requests(db.session))), status


@bp.post("/batches")
@ecosystem_admin_required
def create_batch():
    form = BatchForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    try:
        batch = services.suggest_batch(db.session, _broker_id(), form.options())
        db.commit()
    except DomainError as error:
        db.session.rollback()
        show_form_error(form, error)
        return _index(form, 400)
    flash(f"Suggested {services.batch_status_counts(db.session, batch.id)[ITEM_OPEN]} introductions.", "success")
    return redirect(url_for("broker.batch", batch_id=batch.id))


def _batch_or_404(batch_id: int):
    try:
        return services.batch_by_id(db.session, batch_id)
    except NotFound:
        abort(404)


@bp.get("/batches/<int:batch_id>")
@ecosystem_admin_required
def batch(batch_id: int):
    return _batch_page(batch_id, BulkProposeForm(formdata=None))


def _batch_page(batch_id: int, bulk_form: BulkProposeForm, status: int = 200, selected=()):
    found = _batch_or_404(batch_id)
    shown = request.args.get("status", "")
    if shown not in STATUS_FILTERS:
        shown = ""
    page, rows = services.batch_rows(db.session, batch_id, parse_page(request.args.get("page")), status=shown or None)
    return render_template(
        "broker/batch.html", batch=found, page=page, rows=rows,
        counts=services.batch_status_counts(db.session, batch_id),
        bulk_form=bulk_form, propose_form=ProposeForm(formdata=None), note_hint=NOTE_HINT, shown=shown,
        status_filters=STATUS_FILTERS, selected={int(i) for i in selected},
        segment=services.Segment(found.region, found.industry, found.partner_type),
        exact_limit=services.EXACT_LIMIT), status


def _back_to_batch(batch_id: int, anchor: str | None = None):
    args = {k: v for k, v in (("page", request.form.get("page")), ("status", request.form.get("status"))) if v}
    return redirect(url_for("broker.batch", batch_id=batch_id, _anchor=anchor, **args))


@bp.post("/batches/<int:batch_id>/items/<int:item_id>/propose")
@ecosystem_admin_required
def propose_one(batch_id: int, item_id: int):
    """Propose one row with its own note; a refusal is stored on the row and shown next to it."""
    _batch_or_404(batch_id)
    form = ProposeForm()
    if not form.validate_on_submit():
        flash("Write a personal note (up to 2000 characters) before proposing.", "error")
        return _back_to_batch(batch_id, f"item-{item_id}")
    return _propose(batch_id, [item_id], form.note.data, anchor=f"item-{item_id}")


@bp.post("/batches/<int:batch_id>/propose")
@ecosystem_admin_required
def propose_selected(batch_id: int):
    """Propose the ticked rows with one note template ({name_a}… filled per row)."""
    _batch_or_404(batch_id)
    form = BulkProposeForm()
    selected = request.form.getlist("item")
    if not all(i.isdigit() for i in selected):
        abort(400)
    if not form.validate_on_submit():
        return _batch_page(batch_id, form, 400, selected)
    if not selected:
        form.form_errors.append("Tick at least one suggestion to propose.")
        return _batch_page(batch_id, form, 400, selected)
    try:
        services.render_note(form.note.data, *_placeholder_people())
    except DomainError as error:
        show_form_error(form, error)
        return _batch_page(batch_id, form, 400, selected)
    return _propose(batch_id, selected, form.note.data, anchor="suggestions")


def _placeholder_people():
    person = services.PersonSummary(0, "", "", "", "", "", "")
    return person, person


def _propose(batch_id: int, item_ids, note: str, *, anchor: str):
    try:
        outcome = services.propose_items(db.session, _broker_id(), batch_id, item_ids, note)
        db.commit()
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back_to_batch(batch_id, anchor)
    proposed = sum(1 for error in outcome.values() if not error)
    failed = len(outcome) - proposed
    if proposed:
        flash(f"Proposed {proposed} introduction{'s' if proposed != 1 else ''}; both people were notified.",
              "success")
    if failed:
        flash(f"{failed} could not be proposed: the reason is shown next to each.", "error")
    return _back_to_batch(batch_id, anchor)


def _day_start(day) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


@bp.get("/pipeline")
@ecosystem_admin_required
def pipeline():
    form = PipelineForm(request.args)
    stages, status = [], 200
    if form.validate():
        try:
            stages = services.pipeline(db.session, form.segment(), since=_day_start(form.since.data),
                                       until=_day_start(form.until.data))
        except DomainError as error:
            show_form_error(form, error)
    if form.errors or form.form_errors:
        status = 400
    chart = funnel(stages) if stages else None
    return render_template("broker/pipeline.html", form=form, stages=stages, chart=chart,
                           segment=form.segment() if not form.errors else None), status


@bp.get("/requests")
@ecosystem_admin_required
def requests_queue():
    return render_template("broker/requests.html", rows=introductions.list_broker_requests(db.session),
                           propose_form=ProposeForm(formdata=None), action_form=ActionForm())


@bp.post("/requests/<int:request_id>/propose")
@ecosystem_admin_required
def propose_request(request_id: int):
    form = ProposeForm()
    if not form.validate_on_submit():
        flash("Write a personal note (up to 2000 characters) before proposing.", "error")
        return redirect(url_for("broker.requests_queue", _anchor=f"request-{request_id}"))
    return _request_action(lambda: introductions.propose_from_request(db.session, _broker_id(), request_id,
                                                                      form.note.data),
                           "Proposed: both people were notified.", request_id)


@bp.post("/requests/<int:request_id>/decline")
@ecosystem_admin_required
def decline_request(request_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")
    if len(reason) > 500:
        abort(400)
    return _request_action(lambda: introductions.decline_broker_request(db.session, _broker_id(), request_id, reason),
                           "Declined; the member was told.", request_id)


def _request_action(action, success: str, request_id: int):
    try:
        action()
        db.commit()
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("broker.requests_queue", _anchor=f"request-{request_id}"))
    flash(success, "success")
    return redirect(url_for("broker.requests_queue"))
