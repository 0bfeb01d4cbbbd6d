"""JSON API under /api/v1: the same services as the HTML pages.

- ``public``: anonymous intake (reports, follow-up, messages, trust pulse);
- ``openapi``: the OpenAPI 3.1 document at /api/v1/openapi.json; staff
  endpoints add their paths with ``openapi.register_paths()``;
- ``staff`` (when present): endpoints for staff with bearer tokens.

The whole blueprint is exempt from CSRFProtect: public endpoints are
anonymous and take no cookie; staff endpoints authenticate with a bearer
token, and when they accept a staff session cookie instead their guard
(tracker.accounts.permissions.token_or_login_required) checks the CSRF token
itself. Errors raised as ``ApiError`` become JSON responses.
"""
import importlib
import importlib.util

from flask import Blueprint

from tracker.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from tracker.api.common import ApiError  # noqa: E402


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return exc.response()


from tracker.api import openapi, public  # noqa: E402,F401

if importlib.util.find_spec("tracker.api.staff") is not None:  # staff endpoints, once written
    importlib.import_module("tracker.api.staff")
