"""Placeholder routes; the feature replaces them."""
from flask import Blueprint

bp = Blueprint("directory", __name__)

@bp.route("/people")
def people():
    return "TODO"


@bp.route("/companies")
def companies():
    return "TODO"
