from flask import Blueprint

bp = Blueprint("intake", __name__, template_folder="templates")


@bp.route("/report", methods=["GET", "POST"])
def report():  # the real form comes with the intake work
    return "", 404


@bp.route("/followup", methods=["GET", "POST"])
def followup():
    return "", 404


@bp.route("/pulse", methods=["GET", "POST"])
def pulse():
    return "", 404
