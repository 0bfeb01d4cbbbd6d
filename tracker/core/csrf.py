"""CSRF protection that works with ``Referrer-Policy: no-referrer``.

Flask-WTF's strict HTTPS check (WTF_CSRF_SSL_STRICT) demands a ``Referer``
header from the same host. Every page of this site sends
``Referrer-Policy: no-referrer`` (reporter safety), so browsers send no
``Referer`` and that check refused every form over HTTPS.

Here the referrer check is replaced by a check of what browsers send
whatever the referrer policy, on top of the unchanged token check (and the
SameSite session cookie):

- ``Sec-Fetch-Site`` (Chromium, Firefox, Safari): when present it must be
  ``same-origin`` (or ``none``: a request the user started, e.g. a reload);
  ``same-site`` and ``cross-site`` are refused.
- ``Origin``: when present and not ``null`` it must be this site's origin,
  scheme and host as seen behind the proxy (``request.scheme`` honours
  X-Forwarded-Proto through TRACKER_PROXY_HOPS). Under no-referrer,
  browsers send ``Origin: null`` for their own same-origin form posts (Fetch
  standard, "append a request Origin header"), so ``null`` is accepted only
  when the browser also vouches with ``Sec-Fetch-Site: same-origin``; a
  ``null`` origin from a sandboxed frame or a data: page elsewhere comes with
  ``cross-site`` or without the header, and is refused.
- A ``Referer``, should one come (another policy, an old browser), must be
  from this site too.
- Without any of these headers (programs, very old browsers) the token alone
  decides, as before.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Request, current_app, g, request
from flask_wtf.csrf import CSRFProtect, ValidationError, validate_csrf

logger = logging.getLogger(__name__)

SAFE_FETCH_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": "80", "https": "443"}

# Reasons (logged, never shown): the page shows one translated message.
ORIGIN_REFUSED = "The Origin header is not this site."
NULL_ORIGIN_REFUSED = "Origin is null and the browser did not say the request is same-origin."
FETCH_SITE_REFUSED = "Sec-Fetch-Site says the request comes from another site."
REFERRER_REFUSED = "The Referer header is not this site."


def _normalise(scheme: str, netloc: str) -> str:
    """``https://Example.org:443`` → ``https://example.org``."""
    scheme = scheme.lower()
    netloc = netloc.lower()
    default = DEFAULT_PORTS.get(scheme)
    if default and netloc.endswith(":" + default) and not netloc.endswith("]"):
        netloc = netloc[: -len(default) - 1]
    return f"{scheme}://{netloc}"


def site_origin(req: Request) -> str:
    """This site's origin as the browser sees it (behind the proxy)."""
    return _normalise(req.scheme, req.host)


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return _normalise(parts.scheme, parts.netloc)


def origin_problem(req: Request) -> str | None:
    """Why this unsafe request does not come from this site, or None if it may.

    Rules in the module docstring; the token is checked separately.
    """
    expected = site_origin(req)
    fetch_site = req.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.strip().lower() not in SAFE_FETCH_SITES:
        return FETCH_SITE_REFUSED
    origin = req.headers.get("Origin")
    if origin is not None:
        if origin.strip().lower() == "null":
            if fetch_site is None or fetch_site.strip().lower() != "same-origin":
                return NULL_ORIGIN_REFUSED
        elif _origin_of(origin) != expected:
            return ORIGIN_REFUSED
    referrer = req.headers.get("Referer")
    if referrer and _origin_of(referrer) != expected:
        return REFERRER_REFUSED
    return None


class OriginCSRFProtect(CSRFProtect):
    """CSRFProtect with the token check kept and the Referer check replaced
    by ``origin_problem`` (works over HTTPS with no-referrer)."""

    def protect(self, apply_exemptions: bool = False) -> None:
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        problem = origin_problem(request)
        if problem is not None:
            if problem == ORIGIN_REFUSED and request.scheme == "http" and \
                    (request.headers.get("Origin") or "").lower().startswith("https://"):
                # The usual misconfiguration, worth a hint in the log.
                logger.warning("Form refused: the browser is on HTTPS but the app sees HTTP. "
                               "Behind a TLS proxy, set TRACKER_PROXY_HOPS and X-Forwarded-Proto.")
            logger.info(problem)
            g.csrf_origin_refused = True
            self._error_response(problem)
        try:
            validate_csrf(self._get_csrf_token())
        except ValidationError as exc:
            logger.info(exc.args[0])
            self._error_response(exc.args[0])
        g.csrf_valid = True
