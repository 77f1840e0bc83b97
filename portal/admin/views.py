"""Placeholder routes; the feature replaces them."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

@bp.route("/admin")
def index():
    return "TODO"
