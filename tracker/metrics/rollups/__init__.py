"""The rollup tables, filled from the raw reports and pulse answers along
two paths that share one aggregation, so they always agree:

- ``aggregation``: what one report or pulse answer counts, and where (pure);
- ``rebuild``: ``rebuild()`` empties the rollups and recomputes them all
  (``flask --app tracker rollup``, bulk loaders afterwards);
- ``upkeep``: the live path, in the same transaction at each commit, from
  session events whose listeners ``create_app`` registers
  (tracker/__init__.py, configure_extensions).

The names below are what other modules use (tracker.metrics.release, the
CLI, bench/): import them from here.
"""
from tracker.metrics.rollups.aggregation import (
    RESOLVED_STATES,
    RegionMap,
    days_between,
    duration_bucket,
    grouped_by_report,
    report_query,
)
from tracker.metrics.rollups.rebuild import rebuild
from tracker.metrics.rollups.upkeep import DIRTY, paused, refresh, register_listeners

__all__ = [
    "DIRTY", "RESOLVED_STATES", "RegionMap", "days_between", "duration_bucket", "grouped_by_report", "paused",
    "rebuild", "refresh", "register_listeners", "report_query",
]
