"""Error pages in the user's language; JSON errors under /api/."""
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tracker.extensions import db


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        413: _("What you sent is too large. Photos may be at most 10 MB each."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Nothing you sent was lost; please try again."),
    }


def error_response(code: int, message: str | None = None, errors: dict | None = None):
    message = message or _messages().get(code) or _messages()[500]
    if request.path.startswith("/api/"):
        body = {"error": message}
        if errors:
            body["errors"] = errors
        return jsonify(body), code
    return render_template("error.html", code=code, message=message), code


def configure_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(
            400, _("Your form expired or was sent twice. Please go back, reload the page and send it again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        return error_response(code if code in _messages() else code, None if code in _messages() else exc.description)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500)
