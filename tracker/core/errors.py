"""Error pages in the user's language; JSON errors under /api/.

Forms that keep what was typed: a view may register a renderer for its
endpoint with ``keep_typed`` (from a blueprint's ``record_once``). When a
POST to that endpoint is refused before or after the view ran (CSRF or
origin check, database unavailable), the renderer shows the form again with
everything typed and the message, instead of a bare error page.

Database unavailable (down, restarting, connection lost): 503 with
``Retry-After``, JSON under /api/, never a bare 500, also when rolling the
session back fails too (the connection is then thrown away).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from tracker.core.db import database_unavailable, safe_rollback

KEEP_TYPED = "tracker.keep_typed"
RETRY_AFTER_SECONDS = 5

FormRenderer = Callable[[str, int], object]


def _session():
    """The app's database session, found through the app: tracker.extensions
    is built from core (its Base, CSRF and rate-limit key), so core does not
    import it back (STYLE §12)."""
    return current_app.extensions["sqlalchemy"].session


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        413: _("What you sent is too large. Photos may be at most 10 MB each."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Nothing you sent was lost; please try again."),
        503: _("The site is briefly unavailable. Please try again in a minute."),
    }


def error_response(code: int, message: str | None = None, errors: dict | None = None):
    message = message or _messages().get(code) or _messages()[500]
    if request.path.startswith("/api/"):
        body = {"error": message}
        if errors:
            body["errors"] = errors
        return jsonify(body), code
    return render_template("error.html", code=code, message=message), code


def keep_typed(app: Flask, endpoint: str, render: FormRenderer) -> None:
    """Register ``render(message, status)`` to show ``endpoint``'s form again
    with what was typed when one of its POSTs is refused; it may return None
    to leave it to the error page."""
    app.extensions.setdefault(KEEP_TYPED, {})[endpoint] = render


def _typed_renderer() -> FormRenderer | None:
    if request.method != "POST":
        return None
    return current_app.extensions.get(KEEP_TYPED, {}).get(request.endpoint)


def _bare_page(code: int, message: str):
    """The last resort: a page that needs no template, database or session."""
    html = (f"<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{code}</title><p>{escape(message)}</p>")
    response = make_response(html, code)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def refused(code: int, message: str, typed_message: str | None = None):
    """Answer a refused request: the form again with what was typed when its
    view registered a renderer, else the error page (JSON under /api/)."""
    render = _typed_renderer()
    if render is not None:
        try:
            rendered = render(typed_message or message, code)
            if rendered is not None:
                return make_response(rendered)
        except Exception:  # noqa: BLE001 - fall back to the plain error page
            current_app.logger.exception("Could not show the form again on %s", request.path)
            safe_rollback(_session())
    try:
        return make_response(error_response(code, message))
    except Exception:  # noqa: BLE001 - never a bare 500 from the error page itself
        current_app.logger.exception("Could not render the error page on %s", request.path)
        if request.path.startswith("/api/"):
            return make_response(jsonify({"error": message}), code)
        return _bare_page(code, message)


def _forget_user() -> None:
    """Render as anonymous: after a rollback the signed-in user's row would
    have to be reloaded from the database that just failed."""
    g._login_user = current_app.login_manager.anonymous_user()


def _service_unavailable(exc: BaseException):
    safe_rollback(_session())
    _forget_user()
    reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0][:200]
    current_app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, reason)
    response = refused(
        503,
        _messages()[503],
        _("We could not save this just now. Everything you typed is below: please send it again in a minute."),
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def configure_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if g.get("csrf_origin_refused"):
            message = _("This form was not sent from this site, so it was not accepted. "
                        "Please open this site's address yourself and send the form again.")
        else:
            message = _("Your form expired or was sent twice. Please go back, reload the page and send it again.")
        return refused(
            400, message,
            _("Your form could not be accepted as it was sent. Everything you typed is below: "
              "please check it and send it again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        if code >= 500:
            safe_rollback(_session())
        try:
            return error_response(code, None if code in _messages() else exc.description)
        except Exception:  # noqa: BLE001 - never a bare 500 from the error page itself
            safe_rollback(_session())
            _forget_user()
            return refused(code, _messages().get(code) or _messages()[500])

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        if database_unavailable(exc):
            return _service_unavailable(exc)
        safe_rollback(_session())
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return refused(500, _messages()[500])
