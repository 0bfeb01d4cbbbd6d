"""Compressed HTML for public pages, only where BREACH cannot bite.

BREACH recovers a secret from the size of a compressed response when the
same response also reflects text the requester controls. Our public forms
carry a CSRF token. Flask-WTF does *not* mask it per response: the token is
``itsdangerous``-signed with a timestamp, so its payload part is the same for
the whole session (only the timestamp and signature change, once a second).

What we chose: instead of masking the token, never compress a response that
could reflect requester-controlled text. A response is compressed only when
all of these hold:

- the view opted in with :func:`compressible` (public pages only; never the
  receipt, the follow-up status page or any staff page);
- the request is a GET and the response a 200 ``text/html`` page (form
  re-displays after a POST echo what was typed, so they stay plain);
- the query string carries nothing but ``lang`` with a known language code
  (``lang_url`` copies every other parameter into the language links).

What is left in such a page is our own text, the CSRF token and the choices
of lists (regions, forces) that are the same for everyone.
"""
from __future__ import annotations

import functools
import gzip
from collections.abc import Callable

import brotli
from flask import Flask, Response, current_app, g, request

BROTLI_QUALITY = 6  # ~7 ms for the report form; 10-11 save ~10 % but cost 20 times as long
GZIP_LEVEL = 6
MIN_BYTES = 512


def compressible(view: Callable) -> Callable:
    """Let this view's GET pages be sent compressed (see the module docstring)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.compress_html = True
        return view(*args, **kwargs)

    return wrapper


def forbid_compression() -> None:
    """Called by a view when this response shows a secret or case content."""
    g.compress_html = False


def _safe_query() -> bool:
    args = request.args
    if not args:
        return True
    keys = set(args.keys())
    if keys != {"lang"}:
        return False
    values = args.getlist("lang")
    return len(values) == 1 and values[0] in current_app.config["LANGUAGES"]


def compress_response(response: Response) -> Response:
    """Brotli (or gzip) the page if it may be compressed (rules above)."""
    if not g.get("compress_html"):
        return response
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.mimetype != "text/html"
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or not _safe_query()
    ):
        return response
    response.vary.add("Accept-Encoding")
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    accepted = request.accept_encodings
    if accepted["br"]:
        body, coding = brotli.compress(data, quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT), "br"
    elif accepted["gzip"]:
        body, coding = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0), "gzip"
    else:
        return response
    response.set_data(body)
    response.headers["Content-Encoding"] = coding
    return response


def configure_compression(app: Flask) -> None:
    app.after_request(compress_response)
