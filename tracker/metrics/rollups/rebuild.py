"""Rollups, the full rebuild (``flask --app tracker rollup``, the demo and
bench loaders): empty the rollup tables and recompute everything from the
raw reports and pulse answers in one streaming pass, with the same
aggregation as the live upkeep (tracker.metrics.rollups.aggregation).
Idempotent. Bulk loaders that bypass the ORM (or wrap their work in
``upkeep.paused()``) call it afterwards.
"""
from __future__ import annotations

import sqlalchemy as sa

from tracker.extensions import db
from tracker.metrics.models import DurationRollup, PulseRollup, ReportRollup
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
from tracker.metrics.rollups.upkeep import forget_pending


def rebuild(session=None, *, batch: int = 20000, progress=None) -> dict[str, int]:
    """Empty the rollups and recompute them from every report and pulse
    answer. Idempotent; the caller commits. Returns row counts."""
    session = session or db.session
    session.flush()
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
    session.execute(sa.delete(ReportRollup))
    session.execute(sa.delete(DurationRollup))
    session.execute(sa.delete(PulseRollup))
    counts, durations = count_rows(agg), duration_rows(agg)
    insert_rows(session, ReportRollup.__table__, counts)
    insert_rows(session, DurationRollup.__table__, durations)
    insert_rows(session, PulseRollup.__table__, pulse_rows)
    forget_pending(session)  # everything is counted now: nothing left for the commit to add
    return {"reports": seen, "report_rows": len(counts), "duration_rows": len(durations), "pulse_rows": len(pulse_rows)}
