"""Security headers and logging hygiene for every response.

Reporter safety: no third-party origin is allowed by the CSP, pages are not
cached, and no log line carries an IP address.
"""
import logging
import re

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'none'",
        "connect-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "manifest-src 'self'",
    ]
)

PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


def set_security_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["X-Frame-Options"] = "DENY"
    h["Permissions-Policy"] = PERMISSIONS_POLICY
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if request.endpoint != "static":
        # Any dynamic page may show report data (or a form being filled in):
        # never let a shared phone's browser cache it.
        h["Cache-Control"] = "no-store"
        h["Pragma"] = "no-cache"
    else:
        h.setdefault("Cache-Control", "public, max-age=86400")
    return response


# Werkzeug 3 writes the client address into the message itself
# ("127.0.0.1 - - [date] ..."); older versions passed it as the first argument.
_ADDRESS_PREFIX = re.compile(r"^\S+ - - \[")


class StripAddressFilter(logging.Filter):
    """Remove the client address from Werkzeug's request log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            if record.msg.startswith("%s - - [%s]") and record.args:
                record.args = ("-",) + tuple(record.args)[1:]
            elif _ADDRESS_PREFIX.match(record.msg):
                record.msg = _ADDRESS_PREFIX.sub("- - - [", record.msg, count=1)
        return True


def configure_security(app: Flask) -> None:
    app.after_request(set_security_headers)
    logging.getLogger("werkzeug").addFilter(StripAddressFilter())
