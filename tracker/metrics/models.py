"""Rollup tables (filled by tracker.metrics.rollups)."""
