"""Placeholder routes; the feature replaces them."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

@bp.route("/login")
def login():
    return "TODO"


@bp.route("/signup")
def signup():
    return "TODO"


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    return "TODO"
