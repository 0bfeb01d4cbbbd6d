"""Declarative base with a constraint naming convention.

Named constraints let Alembic's SQLite batch mode alter tables, and keep
migration diffs stable between SQLite and PostgreSQL.
"""
import contextlib
from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import DeclarativeBase, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC timestamp (stored the same way on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot answer now" (down,
    restarting, connection lost, locked): a 503 and a retry, not a 500."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.PendingRollbackError) and "can't reconnect" in str(exc).lower():
        return True  # the connection died inside a transaction (seen during `pg_ctl restart`)
    if isinstance(exc, sa_exc.OperationalError) and any(
            bug in str(exc.orig).lower() for bug in _SQLITE_BUGS):
        return False  # SQLite calls these "operational" too: they are bugs, not outages
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


_SQLITE_BUGS = ("no such table", "no such column", "syntax error", "has no column")


def safe_rollback(session) -> None:
    """Roll ``session`` (a Session or a scoped_session) back; if even that
    fails (the connection is gone), throw the session and its connection
    away instead of raising."""
    try:
        session.rollback()
        return
    except Exception:  # noqa: BLE001 - the connection is broken: discard it
        pass
    scoped = isinstance(session, scoped_session)
    steps = [lambda: (session() if scoped else session).invalidate()]
    steps.append(session.remove if scoped else session.close)
    for step in steps:
        with contextlib.suppress(Exception):  # nothing more can be done
            step()
