"""Rollups, the full rebuild (``flask --app tracker rollup``, the demo and
bench loaders): empty the rollup tables and recompute everything from the
raw reports and pulse answers in one streaming pass, with the same
aggregation as the live upkeep (tracker.metrics.rollups.aggregation).
Idempotent. Bulk loaders that bypass the ORM (or wrap their work in
``upkeep.paused()``) call it afterwards.

Beside live intake (PostgreSQL), without holding intake back for the whole
pass: the rebuild takes the rebuild lock, which makes every upkeep that
commits meanwhile note the slices it changed (``rollup_dirty``); it
computes from the raw rows with no other lock; then it waits for the
upkeeps under way and holds the next ones back only while it writes its
rows and recomputes the noted slices from the raw rows, which by then hold
every report those upkeeps counted. Without that, a report committed
between the rebuild's read and its write lost its count until the next
rebuild.
"""
from __future__ import annotations

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
from tracker.metrics.rollups.upkeep import ROLLUP_REBUILD_LOCK, ROLLUP_WRITERS_LOCK, forget_pending, recompute_slice

_REBUILD_STARTS = sa.text(f"SELECT pg_advisory_xact_lock({ROLLUP_REBUILD_LOCK})")
_HOLD_WRITERS = sa.text(f"SELECT pg_advisory_xact_lock({ROLLUP_WRITERS_LOCK})")


def rebuild(session=None, *, batch: int = 20000, progress=None) -> dict[str, int]:
    """Empty the rollups and recompute them from every report and pulse
    answer. Idempotent; the caller commits. Returns row counts."""
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
    if concurrent:
        # Upkeeps under way commit first (their noted slices are then
        # visible); the next ones wait until this transaction commits.
        session.execute(_HOLD_WRITERS)
    session.execute(sa.delete(ReportRollup))
    session.execute(sa.delete(DurationRollup))
    session.execute(sa.delete(PulseRollup))
    counts, durations = count_rows(agg), duration_rows(agg)
    insert_rows(session, ReportRollup.__table__, counts)
    insert_rows(session, DurationRollup.__table__, durations)
    insert_rows(session, PulseRollup.__table__, pulse_rows)
    if concurrent:
        noted = session.execute(sa.select(RollupDirty.kind, RollupDirty.grain, RollupDirty.period_start,
                                          RollupDirty.region_id, RollupDirty.force_id, RollupDirty.unit_id)).all()
        for key in sorted(set(map(tuple, noted))):
            recompute_slice(session, regions, key)
        session.execute(sa.delete(RollupDirty))
    forget_pending(session)  # everything is counted now: nothing left for the commit to add
    return {"reports": seen, "report_rows": len(counts), "duration_rows": len(durations), "pulse_rows": len(pulse_rows)}
