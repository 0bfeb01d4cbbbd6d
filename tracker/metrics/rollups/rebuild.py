"""Rollups, the full rebuild (``flask --app tracker rollup``, the demo and
bench loaders): empty the rollup tables and recompute everything from the
raw reports and pulse answers in one streaming pass, with the same
aggregation as the live upkeep (tracker.metrics.rollups.aggregation).
Idempotent. Bulk loaders that bypass the ORM (or wrap their work in
``upkeep.paused()``) call it afterwards.

Beside live intake (PostgreSQL), without holding intake back for the whole
pass: the rebuild takes the rebuild lock, which makes every upkeep that
commits meanwhile note the slices it changed (``rollup_dirty``); it
computes from the raw rows and compares the result with the rollups, with
no other lock; then it waits for the upkeeps under way and holds the next
ones back only while it applies the rows that differ and recomputes the
noted slices from the raw rows, which by then hold every report those
upkeeps counted. The noted slices are mostly recounted before that, in a
few rounds, so only the last moment's are recounted under the lock. At
100,000 reports on PostgreSQL (bench/rollup_rebuild.py): a 22 s rebuild
held intake back 0.1-0.2 s with no reports arriving, and 3-4 s with about
18 reports a second arriving, spread over 300 days. Without that, a report committed
between the rebuild's read and its write lost its count until the next
rebuild.
"""
from __future__ import annotations

import time

import sqlalchemy as sa

from tracker.extensions import db
from tracker.metrics.models import DurationRollup, PulseRollup, ReportRollup, RollupDirty
from tracker.metrics.rollups.aggregation import (
    Aggregates,
    RegionMap,
    count_rows,
    duration_rows,
    grouped_by_report,
    insert_rows,
    pulse_aggregate,
    pulse_query,
    report_query,
)
from tracker.metrics.rollups.upkeep import ROLLUP_REBUILD_LOCK, ROLLUP_WRITERS_LOCK, forget_pending, read_slices, write_slices

EARLY_ROUNDS = 4  # rounds of noted slices computed before intake is held back
_REBUILD_STARTS = sa.text(f"SELECT pg_advisory_xact_lock({ROLLUP_REBUILD_LOCK})")
_HOLD_WRITERS = sa.text(f"SELECT pg_advisory_xact_lock({ROLLUP_WRITERS_LOCK})")
_NOTED = sa.select(RollupDirty.id, RollupDirty.kind, RollupDirty.grain, RollupDirty.period_start,
                   RollupDirty.region_id, RollupDirty.force_id, RollupDirty.unit_id)


def _stage(session, table: sa.Table, rows: list[dict]) -> list[sa.TextClause]:
    """Compare ``rows`` with ``table``, intake still running; returns the
    statements that make ``table`` equal to them: delete the rows that
    differ, insert the missing ones. The live upkeep keeps the rollups
    right, so these usually touch nothing and hold intake back a moment.
    A row an upkeep changes after the comparison is in a slice it noted,
    which the rebuild recomputes after these (an insert that meets such a
    row leaves it to that)."""
    name = f"rebuild_{table.name}"
    session.execute(sa.text(f"CREATE TEMPORARY TABLE {name} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP"))
    columns = [c for c in table.columns if c.name != "id"]
    insert_rows(session, sa.Table(name, sa.MetaData(), *(sa.Column(c.name, c.type) for c in columns)), rows)
    session.execute(sa.text(f"ANALYZE {name}"))
    names = ", ".join(c.name for c in columns)
    live = ", ".join(f"l.{c.name}" for c in columns)
    new = ", ".join(f"n.{c.name}" for c in columns)
    session.execute(sa.text(
        f"CREATE TEMPORARY TABLE {name}_gone ON COMMIT DROP AS SELECT l.id FROM {table.name} AS l "
        f"WHERE NOT EXISTS (SELECT 1 FROM {name} AS n WHERE ({new}) = ({live}))"))
    session.execute(sa.text(
        f"DELETE FROM {name} AS n WHERE EXISTS (SELECT 1 FROM {table.name} AS l WHERE ({live}) = ({new}))"))
    return [
        sa.text(f"DELETE FROM {table.name} WHERE id IN (SELECT id FROM {name}_gone)"),
        sa.text(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {name} ON CONFLICT DO NOTHING"),
    ]


def rebuild(session=None, *, batch: int = 20000, progress=None) -> dict[str, int]:
    """Empty the rollups and recompute them from every report and pulse
    answer. Idempotent; the caller commits. Returns row counts and, on
    PostgreSQL, ``noted_slices`` (slices live upkeeps changed meanwhile)
    and ``held_seconds`` (how long upkeeps were held back)."""
    session = session or db.session
    session.flush()
    concurrent = session.get_bind().dialect.name == "postgresql"  # SQLite: one writer at a time
    if concurrent:
        # From here on every upkeep notes its slices (module docstring).
        session.execute(_REBUILD_STARTS)
    regions = RegionMap(session=session)
    agg = Aggregates()
    seen = 0
    result = session.execute(report_query().execution_options(yield_per=batch))
    for r, cats in grouped_by_report(result):
        agg.add(r, cats, regions)
        seen += 1
        if progress and seen % 100000 == 0:
            progress(seen)
    pulse_rows = pulse_aggregate(session.execute(pulse_query().execution_options(yield_per=batch)), regions)
    counts, durations = count_rows(agg), duration_rows(agg)
    tables = ((ReportRollup.__table__, counts), (DurationRollup.__table__, durations),
              (PulseRollup.__table__, pulse_rows))
    extra = {}
    if not concurrent:
        for table, rows in tables:
            session.execute(sa.delete(table))
            insert_rows(session, table, rows)
    else:
        # The rows go to temporary tables first, intake still running; then,
        # with upkeeps held back (those under way commit first, so that the
        # slices they noted are visible), the server brings the rollups in
        # line with them.
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))  # the comparisons sort in memory
        statements = [stmt for table, rows in tables for stmt in _stage(session, table, rows)]
        # Slices noted so far are computed again now, still without holding
        # intake back, a few rounds (each shorter than the last: it reads
        # what was noted during the one before); only those noted after
        # the last round are computed under the lock. A slice noted again
        # is computed again, and written after.
        before: set[int] = set()
        noted: set[tuple] = set()
        early = []
        for _round in range(EARLY_ROUNDS):
            fresh = {rid: tuple(key) for rid, *key in session.execute(_NOTED) if rid not in before}
            if not fresh:
                break
            before.update(fresh)
            noted.update(fresh.values())
            early.append(read_slices(session, regions, set(fresh.values())))
        session.execute(_HOLD_WRITERS)
        held_from = time.perf_counter()
        late = {tuple(key) for rid, *key in session.execute(_NOTED) if rid not in before}
        for stmt in statements:
            session.execute(stmt)
        for slices in early:
            write_slices(session, slices, skip=late)
        write_slices(session, read_slices(session, regions, late))
        session.execute(sa.delete(RollupDirty))
        extra = {"noted_slices": len(noted | late), "held_seconds": time.perf_counter() - held_from}
    forget_pending(session)  # everything is counted now: nothing left for the commit to add
    return {"reports": seen, "report_rows": len(counts), "duration_rows": len(durations), "pulse_rows": len(pulse_rows),
            **extra}
