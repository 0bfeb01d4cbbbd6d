"""Backup and restore of the whole database.

- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean
  --if-exists --single-transaction`` (the server's own tools; the newest
  installed ``pg_dump`` is used, or TRACKER_PG_BIN). The password goes
  through the environment, never the command line.
- SQLite: the online backup API (a consistent copy while the site runs).

A backup holds field-encrypted data (narratives, contact details, photos…)
still encrypted: keep TRACKER_FIELD_KEYS and TRACKER_RECEIPT_PEPPER (they
are not in the backup) to read it and to let receipts open their reports.
Restore with the app servers stopped; then run ``audit verify``.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess

import sqlalchemy as sa


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


def _pg_tool(name: str) -> str:
    configured = os.environ.get("TRACKER_PG_BIN")
    candidates = [os.path.join(configured, name)] if configured else []
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0, reverse=True)
    candidates += versions
    found = shutil.which(name)
    if found:
        candidates.append(found)
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise BackupError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client) "
                      "or set TRACKER_PG_BIN")


def _pg_env(url: sa.engine.URL) -> dict[str, str]:
    env = dict(os.environ)
    for var, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[var] = str(value)
    return env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{os.path.basename(cmd[0])} failed: {result.stderr.strip()[-2000:]}")


def _sqlite_connection(engine: sa.Engine):
    return engine.raw_connection()


def backup(engine: sa.Engine, path: str) -> None:
    """Write a consistent copy of the whole database to ``path``."""
    if engine.dialect.name == "postgresql":
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"],
             _pg_env(engine.url))
    elif engine.dialect.name == "sqlite":
        raw = _sqlite_connection(engine)
        try:
            target = sqlite3.connect(path)
            try:
                raw.driver_connection.backup(target)
            finally:
                target.close()
        finally:
            raw.close()
    else:
        raise BackupError(f"no backup for {engine.dialect.name}")


def restore(engine: sa.Engine, path: str) -> None:
    """Replace the whole database by the backup at ``path``."""
    if not os.path.isfile(path):
        raise BackupError(f"no backup at {path}")
    if engine.dialect.name == "postgresql":
        engine.dispose()  # our idle connections would hold locks on what pg_restore drops
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={engine.url.database}", path],
             _pg_env(engine.url))
        engine.dispose()
    elif engine.dialect.name == "sqlite":
        # The backup API copies into the live database: every connection sees it.
        source = sqlite3.connect(path)
        raw = _sqlite_connection(engine)
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
            source.close()
    else:
        raise BackupError(f"no restore for {engine.dialect.name}")
