"""Placeholder routes; the feature replaces them."""
from flask import Blueprint

bp = Blueprint("profiles", __name__)

@bp.route("/people/<slug>")
def show(slug):
    return "TODO"
