"""Hostile request parameters: numbers beyond the database's range and NUL
bytes (issue 8 item 6).

An id beyond the range of the id columns (INTEGER: 32 bits on PostgreSQL,
which refuses a larger parameter; SQLite overflows past 64 bits) and a NUL byte is refused by PostgreSQL in any
text value. Both are the client's mistake and must be answered 400 (or 404
for an id in a path), never 500:

- ``refuse_nul_bytes`` (before every request): a NUL byte anywhere in the
  query string, name or value, is a 400. No page takes one legitimately.
- ``BoundedIntConverter`` replaces Flask's ``int`` URL converter: an id in a
  path beyond the id range matches no route (404).
- ``parse_db_id`` reads an id from a query or form value: None unless it is
  a positive whole number that fits the database.
"""
from __future__ import annotations

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from tracker.core.errors import error_response

DB_INT_MAX = 2**31 - 1  # the id columns are INTEGER (PostgreSQL: 32 bits)


def parse_db_id(raw) -> int | None:
    """A positive id that fits the database, from a str or int; else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 12:
        value = int(raw)
    else:
        return None
    return value if 0 < value <= DB_INT_MAX else None


class BoundedIntConverter(IntegerConverter):
    """Flask's ``int`` converter, bounded to what the database can hold."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def refuse_nul_bytes():
    """Before every request: a NUL byte in the query string is a 400 that
    names the parameter (JSON under /api/, the error page elsewhere)."""
    if b"%00" not in request.query_string and b"\x00" not in request.query_string:
        return None
    message = _("This value holds a character that is not allowed.")
    bad = {key.replace("\x00", ""): message for key, value in request.args.items(multi=True)
           if "\x00" in key or "\x00" in value}
    return error_response(400, _("Some fields need attention."), bad or {"request": message})


def configure_params(app: Flask) -> None:
    """Install the bounded ``int`` converter (before any route is added) and
    the NUL-byte guard."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul_bytes)
