"""Placeholder routes; the feature replaces them."""
from flask import Blueprint

bp = Blueprint("tags", __name__)

@bp.route("/tags")
def index():
    return "TODO"


@bp.route("/tags/<key>")
def show(key):
    return "TODO"
