"""Webhook pages under a company (/companies/<slug>/webhooks): list, subscribe (secret shown once),
pause/resume, ping, roll the secret, delete, and the delivery log with redelivery.

Only the company's own admins: a subscription sends the company's data to an address of their
choosing, so not even ecosystem admins set one up for a company (403). Another company's
subscriptions and deliveries are 404.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.companies.membership import is_company_admin
from portal.companies.services import company_by_slug
from portal.db import db
from portal.errors import DomainError, NotFound
from portal.extensions import limiter
from portal.pagination import parse_page
from portal.web import current_person, show_form_error
from portal.webhooks import services
from portal.webhooks.addresses import AddressPolicy
from portal.webhooks.catalogue import EVENT_TYPES, label_of
from portal.webhooks.forms import ActionForm, SubscriptionForm

bp = Blueprint("webhooks", __name__, url_prefix="/companies/<slug>/webhooks")


def _per_member() -> str:
    return f"member:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr or "?"


def _limit(key: str, default: str):
    """A limit read from app config when the request comes (tests and deployments change it)."""
    return lambda: current_app.config.get(key, default)


# Each ping or redelivery makes the portal send a request to an address of the admin's choosing:
# budgets keep a company admin from turning it into a request generator.
# (defaults in portal.webhooks.SETTINGS)
send_limit = limiter.limit(_limit("RATELIMIT_WEBHOOK_SENDS", "60/hour;6/minute"), key_func=_per_member,
                           methods=["POST"])
subscribe_limit = limiter.limit(_limit("RATELIMIT_WEBHOOK_SUBSCRIBE", "20/hour"), key_func=_per_member,
                                methods=["POST"])


@bp.app_template_global()
def webhook_event_label(name: str) -> str:
    return label_of(name)


@bp.app_template_filter("webhook_pretty_json")
def pretty_json(body: str) -> str:
    """A message body indented for reading (the stored body is what was signed and sent)."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _admin_company(slug: str):
    company = company_by_slug(db.session, slug)
    if company is None:
        abort(404)
    person = current_person()
    if not is_company_admin(person, company):
        abort(403, "Only this company's admins can manage its webhooks.")
    return company, person


def _or_404(read, *args):
    try:
        return read(db.session, *args)
    except NotFound:
        abort(404)


def _no_store(body: str, status: int = 200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"  # a signing secret is on this page
    return response


@bp.get("/")
@login_required
def index(slug: str):
    company, _ = _admin_company(slug)
    subscriptions = services.subscriptions_of(db.session, company.id)
    counts = services.status_counts(db.session, [s.id for s in subscriptions])
    return render_template("webhooks/index.html", company=company, subscriptions=subscriptions, counts=counts,
                           catalogue=EVENT_TYPES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@subscribe_limit
def new(slug: str):
    company, person = _admin_company(slug)
    form = SubscriptionForm()
    if form.validate_on_submit():
        try:
            created = services.create_subscription(
                db.session, company.id, url=form.url.data, event_types=form.event_types.data or [],
                description=form.description.data or "", actor_person_id=person.id,
                secret_key=current_app.config["SECRET_KEY"], policy=AddressPolicy.from_config(current_app.config))
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            return _no_store(_render_subscription(company, created.subscription, secret=created.secret,
                                                  created=True))
    status = 400 if request.method == "POST" else 200
    return render_template("webhooks/new.html", company=company, form=form, catalogue=EVENT_TYPES), status


@bp.route("/<int:subscription_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, subscription_id: int):
    company, _ = _admin_company(slug)
    subscription = _or_404(services.subscription_of, company.id, subscription_id)
    form = SubscriptionForm() if request.method == "POST" else SubscriptionForm(
        formdata=None, url=subscription.url, description=subscription.description,
        event_types=list(subscription.event_types))
    if form.validate_on_submit():
        try:
            services.update_subscription(db.session, company.id, subscription.id, url=form.url.data,
                                         event_types=form.event_types.data or [],
                                         description=form.description.data or "",
                                         policy=AddressPolicy.from_config(current_app.config))
            db.commit()
        except DomainError as error:
            db.session.rollback()
            show_form_error(form, error)
        else:
            flash("Saved.", "success")
            return redirect(url_for("webhooks.show", slug=slug, subscription_id=subscription_id))
    status = 400 if request.method == "POST" else 200
    return render_template("webhooks/new.html", company=company, form=form, catalogue=EVENT_TYPES,
                           subscription=subscription), status


def _render_subscription(company, subscription, *, secret: str | None = None, created: bool = False) -> str:
    log_status = request.args.get("status", "")
    log_status = log_status if log_status in services.LOG_FILTERS else ""
    log = services.delivery_log(db.session, subscription, status=log_status, page=parse_page(request.args.get("page")))
    return render_template("webhooks/show.html", company=company, subscription=subscription, log=log,
                           log_status=log_status, filters=services.LOG_FILTERS, secret=secret, created=created,
                           action_form=ActionForm(formdata=None))


@bp.get("/<int:subscription_id>")
@login_required
def show(slug: str, subscription_id: int):
    company, _ = _admin_company(slug)
    subscription = _or_404(services.subscription_of, company.id, subscription_id)
    return _render_subscription(company, subscription)


def _action(slug: str, subscription_id: int, action, success: str, *args, **kwargs):
    """A POST button: run the service, commit, flash; back to the subscription page."""
    company, _ = _admin_company(slug)
    if not ActionForm().validate_on_submit():
        abort(400, "The form was out of date. Please reload the page and try again.")
    try:
        result = action(db.session, company.id, subscription_id, *args, **kwargs)
        db.commit()
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return company, None
    if success:
        flash(success, "success")
    return company, result


@bp.post("/<int:subscription_id>/pause")
@login_required
def pause(slug: str, subscription_id: int):
    _action(slug, subscription_id, services.set_paused, "Paused: no new deliveries are made until you resume it.",
            True)
    return redirect(url_for("webhooks.show", slug=slug, subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/resume")
@login_required
def resume(slug: str, subscription_id: int):
    _action(slug, subscription_id, services.set_paused, "Resumed: waiting deliveries go out now.", False)
    return redirect(url_for("webhooks.show", slug=slug, subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/ping")
@login_required
@send_limit
def ping(slug: str, subscription_id: int):
    _action(slug, subscription_id, services.send_ping, "Ping sent: its result appears in the log below.")
    return redirect(url_for("webhooks.show", slug=slug, subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/secret")
@login_required
def roll_secret(slug: str, subscription_id: int):
    company, secret = _action(slug, subscription_id, services.roll_secret, "",
                              secret_key=current_app.config["SECRET_KEY"])
    if secret is None:
        return redirect(url_for("webhooks.show", slug=slug, subscription_id=subscription_id))
    subscription = services.subscription_of(db.session, company.id, subscription_id)
    return _no_store(_render_subscription(company, subscription, secret=secret))


@bp.post("/<int:subscription_id>/delete")
@login_required
def delete(slug: str, subscription_id: int):
    company, _ = _action(slug, subscription_id, services.delete_subscription,
                         "The webhook and its delivery log are deleted.")
    return redirect(url_for("webhooks.index", slug=company.slug))


@bp.get("/<int:subscription_id>/deliveries/<int:delivery_id>")
@login_required
def delivery(slug: str, subscription_id: int, delivery_id: int):
    company, _ = _admin_company(slug)
    found = _or_404(services.delivery_of, company.id, subscription_id, delivery_id)
    subscription = services.subscription_of(db.session, company.id, subscription_id)
    return render_template("webhooks/delivery.html", company=company, subscription=subscription, delivery=found,
                           attempts=services.attempts_of(db.session, found), action_form=ActionForm(formdata=None))


@bp.post("/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver")
@login_required
@send_limit
def redeliver(slug: str, subscription_id: int, delivery_id: int):
    _action(slug, subscription_id, services.redeliver, "Sent again: the result appears below.", delivery_id)
    return redirect(url_for("webhooks.delivery", slug=slug, subscription_id=subscription_id,
                            delivery_id=delivery_id))
