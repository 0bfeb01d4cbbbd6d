"""JSON API under /api/v1: the same services as the HTML pages."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
