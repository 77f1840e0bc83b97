"""Placeholder routes; the feature replaces them."""
from flask import Blueprint

bp = Blueprint("profiles", __name__)

@bp.route("/people/<slug>")
def show(slug):
    return "TODO"


@bp.route("/avatars/<token>.png")
def avatar_image(token):
    return "TODO"
