"""Home page, health check and (later) the transparency page."""
from flask import Blueprint, render_template
import sqlalchemy as sa

from tracker.extensions import db

bp = Blueprint("public", __name__, template_folder="templates")


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/transparency")
def transparency():  # replaced by the real page in the metrics work (issue 4)
    return "", 404
