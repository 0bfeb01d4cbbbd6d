"""The raw bulk writer: rows as plain dicts written with executemany
INSERTs (straight to the DB-API cursor on SQLite, Core ``INSERT``
elsewhere), ids assigned here and PostgreSQL sequences moved past them."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from tracker.extensions import db


class _Writer:
    """Turns row dicts of one table into executemany parameters (``prepare``,
    pure Python: it may run in the producer process) and writes them
    (``_execute``, in the process that owns the database session).

    On SQLite the rows go straight to the DB-API cursor with values already
    in SQLAlchemy's storage format (ISO dates, JSON text, 0/1): SQLAlchemy's
    per-row parameter processing costs more than SQLite's own insert. Other
    databases (PostgreSQL) get a Core ``INSERT`` executemany of the dicts.
    """

    def __init__(self, key: str, table: sa.Table, sample: dict, *, raw: bool, quote: Callable[[str], str]):
        self.key = key
        self.raw = raw
        self.columns = [c for c in table.c if c.name in sample]
        missing = [c for c in table.c if c.name not in sample]
        for column in missing:
            default = column.default
            if default is not None and not default.is_scalar:
                self.raw = False  # a callable default: let SQLAlchemy apply it
        constants = [c for c in missing if c.default is not None]
        if self.raw:
            names = [c.name for c in self.columns] + [c.name for c in constants]
            self.sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
                        f"VALUES ({', '.join('?' for _ in names)})")
            self.keys = [c.name for c in self.columns]
            self.convert = [(i, _sqlite_converter(c.type)) for i, c in enumerate(self.columns)]
            self.convert = [(i, f) for i, f in self.convert if f is not None]
            self.extra = tuple(_sqlite_value(c.type, c.default.arg) for c in constants)

    def prepare(self, rows: list[dict]) -> tuple[str, str | None, list]:
        """(table key, SQL or None for a Core insert, parameters)."""
        if not self.raw:
            return self.key, None, rows
        keys, convert, extra = self.keys, self.convert, self.extra
        params = []
        for row in rows:
            values = [row[k] for k in keys]
            for i, f in convert:
                if values[i] is not None:
                    values[i] = f(values[i])
            params.append(tuple(values) + extra)
        return self.key, self.sql, params


def _execute(tables: dict[str, sa.Table], item: tuple[str, str | None, list]) -> None:
    key, sql, params = item
    if not params:
        return
    if sql is None:
        db.session.execute(tables[key].insert(), params)
        return
    cursor = db.session.connection().connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def _sqlite_converter(type_):
    if isinstance(type_, sa.DateTime):
        return lambda v: v.isoformat(sep=" ", timespec="microseconds")
    if isinstance(type_, sa.Date):
        return date.isoformat
    if isinstance(type_, sa.JSON):
        return lambda v: json.dumps(v)
    if isinstance(type_, sa.Boolean):
        return int
    return None


def _sqlite_value(type_, value):
    f = _sqlite_converter(type_)
    return f(value) if f is not None and value is not None else value


def _next_id(table: sa.Table) -> int:
    return (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def _tables():
    from tracker.cases.models import Case, CaseSearchToken
    from tracker.intake.models import Message, PulseResponse, Report, ReportCategory

    return {
        "case": Case.__table__,
        "report": Report.__table__,
        "report_category": ReportCategory.__table__,
        "case_search_token": CaseSearchToken.__table__,
        "message": Message.__table__,
        "pulse_response": PulseResponse.__table__,
    }



def _fix_sequences(tables) -> None:
    """Explicit ids bypass PostgreSQL sequences: move each past its max id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        name = table.name.replace('"', "")
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"
        ))
