"""Shared plumbing of the JSON API: reading a JSON body safely, the error
shape and the response language. The rate limits, shared with the HTML
forms (one counter per address for both), are in tracker.intake.limits.

Every error is JSON: ``{"error": "<message>", "errors": {"<field>": "<message>"}}``
(``errors`` only when particular fields are at fault; body-level problems use
the key ``request``). Messages are in the language of the body's
``language`` field, else ``?lang=``, else Accept-Language, else the default.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from flask import current_app, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _


class ApiError(Exception):
    """An error response: status, message, optional field errors."""

    def __init__(self, status: int, message: str, errors: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, dict(errors or {})

    def response(self):
        body: dict = {"error": self.message}
        if self.errors:
            body["errors"] = self.errors
        return jsonify(body), self.status


def validation_error(errors: Mapping[str, str]) -> ApiError:
    return ApiError(400, _("Some fields need attention."), errors)


def request_language(body=None) -> str:
    """The language to answer in: the body's ``language`` (when it is one we
    ship), else ``?lang=``, else Accept-Language, else the default."""
    languages = current_app.config["LANGUAGES"]
    if isinstance(body, Mapping):
        lang = body.get("language")
        if isinstance(lang, str) and lang in languages:
            return lang
    lang = request.args.get("lang")
    if lang in languages:
        return lang
    return request.accept_languages.best_match(list(languages)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def in_language(body=None):
    """Context manager: translate messages for this request's language."""
    return force_locale(request_language(body))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_body() -> dict:
    """The request body as a JSON object, or raise ApiError.

    - 413 when larger than MAX_JSON_BYTES (checked on the declared length and
      again on the bytes actually read, so chunked bodies are caught too);
    - 400 for a Content-Type other than JSON, bytes that are not UTF-8 JSON
      (NaN/Infinity and lone surrogates included), nesting too deep to parse,
      or a value that is not an object.
    """
    limit = current_app.config["MAX_JSON_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    mimetype = request.mimetype or ""
    if not (mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
        raise ApiError(400, _("Send the data as JSON (Content-Type: application/json)."),
                       {"request": _("Send the data as JSON (Content-Type: application/json).")})
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    invalid = ApiError(400, _("The data sent is not valid JSON."), {"request": _("The data sent is not valid JSON.")})
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        # Lone surrogates parse but cannot be stored or encrypted as UTF-8.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        raise invalid from None
    if not isinstance(value, dict):
        raise ApiError(400, _("The data sent must be a JSON object."),
                       {"request": _("The data sent must be a JSON object.")})
    return value


def _too_large(limit: int) -> ApiError:
    return ApiError(413, _("What you sent is too large: at most %(n)s bytes of JSON.", n=limit))
