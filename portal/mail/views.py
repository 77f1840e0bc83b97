"""Placeholder routes; the feature replaces them."""
from flask import Blueprint

bp = Blueprint("mail", __name__)

@bp.route("/dev/outbox")
def outbox():
    return "TODO"
