from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.get("/login")
def login():  # replaced by the real sign-in in the accounts work (issue 3)
    return "", 404
