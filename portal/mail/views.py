"""The dev-only outbox page: mail written by the file transport, readable in the browser.

Available to anyone while DEV_OUTBOX_PAGE is on (the default only when no SMTP server is
configured); a 404 otherwise.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup, escape

from portal.db import db
from portal.mail import services
from portal.pagination import parse_page

bp = Blueprint("mail", __name__)

_URL = re.compile(r"https?://[^\s<>\"']+")


@bp.before_request
def _only_when_enabled():
    if not current_app.config.get("DEV_OUTBOX_PAGE"):
        abort(404)


def linkify(body: str) -> Markup:
    """Escape the mail text and make its links clickable. Links to this portal's configured
    base URL become local paths, so they work on whatever host and port serves the page."""
    base = current_app.config.get("SERVER_NAME_FOR_MAIL", "").rstrip("/")
    parts, position = [], 0
    for match in _URL.finditer(body):
        url = match.group(0).rstrip(".,;:!?)")
        end = match.start() + len(url)
        href = url[len(base):] if base and url.startswith(base + "/") else url
        parts.append(escape(body[position:match.start()]))
        parts.append(Markup('<a href="{}">{}</a>').format(href, url))
        position = end
    parts.append(escape(body[position:]))
    return Markup("").join(parts)


@bp.route("/dev/outbox")
def outbox():
    page = services.outbox_page(db.session, parse_page(request.args.get("page")))
    return render_template("mail/outbox.html", page=page, pending=services.pending_count(db.session))


@bp.route("/dev/outbox/<int:message_id>")
def outbox_message(message_id: int):
    message = services.outbox_message(db.session, message_id)
    if message is None:
        abort(404)
    return render_template("mail/message.html", message=message, body=linkify(message.body_text))
