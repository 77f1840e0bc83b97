"""The provider's blueprint, shared by the protocol views and the client pages."""

from flask import Blueprint

bp = Blueprint("provider", __name__)
