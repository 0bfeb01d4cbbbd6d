"""Field-key rotation: re-encrypt every encrypted column under the first key.

Procedure (README, "Production"): put the new key first in
TRACKER_FIELD_KEYS (``NEW,OLD``) on every app server and restart them, so
that everything written from then on uses the new key; run
``flask --app tracker keys rotate``; when ``keys status`` shows nothing left
under old keys, remove OLD from the list.

Which columns: every column named ``*_enc`` (the convention for
field-encrypted data; tests/operations/test_keys.py checks that no other
binary column exists). Rows are read by primary key in batches and updated
one at a time with ``WHERE column = <the value read>``: a value the site
changed meanwhile (already under the new key) is left alone, so the command
can run while the site runs. Each batch is committed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from tracker.core.crypto import rotate_if_needed, under_first_key

ENCRYPTED_SUFFIX = "_enc"


def encrypted_columns(metadata: sa.MetaData) -> list[tuple[sa.Table, list[sa.Column]]]:
    """(table, its encrypted columns) for every table that has some."""
    found = []
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith(ENCRYPTED_SUFFIX)]
        if columns:
            if len(table.primary_key.columns) != 1:
                raise ValueError(f"{table.name}: rotation needs a single-column primary key")
            found.append((table, columns))
    return found


@dataclass
class RotationResult:
    rotated: dict[str, int] = field(default_factory=dict)  # "table.column" → values re-encrypted
    current: dict[str, int] = field(default_factory=dict)  # already under the first key
    changed_meanwhile: int = 0  # written by the site while we worked: left as it is

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())


def _primary_keys(session, table: sa.Table, batch_size: int):
    pk = next(iter(table.primary_key.columns))
    last = None
    while True:
        query = sa.select(pk).order_by(pk).limit(batch_size)
        if last is not None:
            query = query.where(pk > last)
        ids = list(session.execute(query).scalars())
        if not ids:
            return
        yield pk, ids
        last = ids[-1]


def rotate_all(session, metadata: sa.MetaData, *, batch_size: int = 100,
               progress: Callable[[str, int], None] | None = None) -> RotationResult:
    """Re-encrypt every ``*_enc`` value not yet under the first key.

    Reads one row at a time (photos can be 10 MB each), commits every
    ``batch_size`` rows; calls ``progress(table_name, rows_done)`` after
    each batch. Raises DecryptionError if a value opens with no configured
    key (nothing of that batch is written).
    """
    result = RotationResult()
    for table, columns in encrypted_columns(metadata):
        for column in columns:
            result.rotated.setdefault(f"{table.name}.{column.name}", 0)
            result.current.setdefault(f"{table.name}.{column.name}", 0)
        done = 0
        for pk, ids in _primary_keys(session, table, batch_size):
            for row_id in ids:
                row = session.execute(sa.select(*columns).where(pk == row_id)).first()
                if row is None:  # deleted meanwhile
                    continue
                for column, old in zip(columns, row, strict=True):
                    name = f"{table.name}.{column.name}"
                    new = rotate_if_needed(old)
                    if new is None:
                        result.current[name] += 1
                        continue
                    changed = session.execute(
                        sa.update(table).where(pk == row_id, column == old).values({column.name: new})
                    ).rowcount
                    if changed == 1:
                        result.rotated[name] += 1
                    else:
                        result.changed_meanwhile += 1
            session.commit()
            done += len(ids)
            if progress:
                progress(table.name, done)
    return result


def status(session, metadata: sa.MetaData) -> dict[str, int]:
    """"table.column" → how many values are still under an older key."""
    left: dict[str, int] = {}
    for table, columns in encrypted_columns(metadata):
        pk = next(iter(table.primary_key.columns))
        for column in columns:
            count = 0
            for _pk, ids in _primary_keys(session, table, 500):
                for row_id in ids:
                    value = session.execute(sa.select(column).where(pk == row_id)).scalar()
                    count += not under_first_key(value)
            left[f"{table.name}.{column.name}"] = count
    return left
