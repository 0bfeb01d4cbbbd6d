"""Rollup tables (filled by tracker.metrics.rollups) and protected releases.

Rollups are derived data: they hold counts and sums only, keyed by period
(ISO week or month of the incident), district (and its province), force,
unit, category and severity. Key columns are plain integers with 0 for
"none" (no foreign keys: a rollup can always be rebuilt from the reports).
Only reports whose reporter agreed to anonymous statistics are counted.
"""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.statuses import OUTCOMES

ALL_CATEGORIES = "*"  # the category of rows that count every report once
#: One count column per case outcome, named by its code (the codes are
#: defined once, in tracker.intake.statuses.OUTCOMES).
OUTCOME_FIELDS = tuple(OUTCOMES)

COUNT_FIELDS = (
    "reports",
    "killed",
    "injured",
    "detained",
    "missing",
    "displaced",
    "property_damaged",
    "children",
    "women",
    "elderly",
    "disability",
    "resolved",
    *OUTCOME_FIELDS,
)
PULSE_FIELDS = ("n_trust", "sum_trust", "sumsq_trust", "n_safety", "sum_safety", "sumsq_safety")


class ReportRollup(db.Model):
    """Reports counted by (grain, period, district, force, unit, category,
    severity). ``category == "*"`` rows count each report once; the other
    rows count a report once per category it names. Weekly rows only count
    reports that give the exact day."""

    __tablename__ = "report_rollup"
    __table_args__ = (
        sa.UniqueConstraint(
            "grain", "period_start", "region_id", "force_id", "unit_id", "category", "severity",
            name="uq_report_rollup_key",
        ),
        sa.Index("ix_report_rollup_force", "grain", "force_id", "category", "period_start"),
        sa.Index("ix_report_rollup_all", "grain", "category", "period_start"),
        # Covering index for the per-category reads (by kind of harm, drivers).
        sa.Index("ix_report_rollup_category", "grain", "force_id", "period_start", "category", "reports"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(sa.String(5))  # "week" | "month"
    period_start: Mapped[date] = mapped_column(sa.Date)
    province_id: Mapped[int] = mapped_column(default=0)
    region_id: Mapped[int] = mapped_column(default=0)  # district (or the report's region if coarser)
    force_id: Mapped[int] = mapped_column(default=0)
    unit_id: Mapped[int] = mapped_column(default=0)
    category: Mapped[str] = mapped_column(sa.String(32), default=ALL_CATEGORIES)
    severity: Mapped[str] = mapped_column(sa.String(8))
    reports: Mapped[int] = mapped_column(default=0)
    killed: Mapped[int] = mapped_column(default=0)
    injured: Mapped[int] = mapped_column(default=0)
    detained: Mapped[int] = mapped_column(default=0)
    missing: Mapped[int] = mapped_column(default=0)
    displaced: Mapped[int] = mapped_column(default=0)
    property_damaged: Mapped[int] = mapped_column(default=0)
    children: Mapped[int] = mapped_column(default=0)
    women: Mapped[int] = mapped_column(default=0)
    elderly: Mapped[int] = mapped_column(default=0)
    disability: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    substantiated: Mapped[int] = mapped_column(default=0)
    partly_substantiated: Mapped[int] = mapped_column(default=0)
    not_substantiated: Mapped[int] = mapped_column(default=0)
    unable_to_determine: Mapped[int] = mapped_column(default=0)


class DurationRollup(db.Model):
    """Days from a case's opening to its triage / resolution, as a histogram
    per (month of incident, district, force, unit): medians come from here.
    ``bucket`` is the lower bound in days (see rollups.duration_bucket)."""

    __tablename__ = "duration_rollup"
    __table_args__ = (
        sa.UniqueConstraint(
            "period_start", "region_id", "force_id", "unit_id", "kind", "bucket", name="uq_duration_rollup_key"
        ),
        sa.Index("ix_duration_rollup_force", "force_id", "period_start", "kind", "bucket", "n"),  # covering
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date)
    province_id: Mapped[int] = mapped_column(default=0)
    region_id: Mapped[int] = mapped_column(default=0)
    force_id: Mapped[int] = mapped_column(default=0)
    unit_id: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(12))  # "triage" | "resolution"
    bucket: Mapped[int] = mapped_column()
    n: Mapped[int] = mapped_column(default=0)


class PulseRollup(db.Model):
    """Trust-pulse sums per (month, district, force named or 0): exact
    integer sums of 12 × each respondent's mean, and of their squares."""

    __tablename__ = "pulse_rollup"
    __table_args__ = (
        sa.UniqueConstraint("period_start", "region_id", "force_id", name="uq_pulse_rollup_key"),
        sa.Index("ix_pulse_rollup_period", "period_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date)
    province_id: Mapped[int] = mapped_column(default=0)
    region_id: Mapped[int] = mapped_column(default=0)
    force_id: Mapped[int] = mapped_column(default=0)
    n_trust: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sum_trust: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sumsq_trust: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    n_safety: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sum_safety: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sumsq_safety: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class RollupDirty(db.Model):
    """A rollup slice that a live upkeep changed while a full rebuild was
    running (tracker.metrics.rollups): the rebuild recomputes it from the raw
    rows before it commits, then deletes the row. Empty the rest of the
    time. Key as the upkeep's slices: (kind, grain, period, rollup region,
    force or 0, unit or 0)."""

    __tablename__ = "rollup_dirty"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    grain: Mapped[str] = mapped_column(sa.String(8))
    period_start: Mapped[date] = mapped_column(sa.Date)
    region_id: Mapped[int] = mapped_column()
    force_id: Mapped[int] = mapped_column()
    unit_id: Mapped[int] = mapped_column()


class Release(db.Model):
    """One published, frozen set of figures for a closed release month
    (tracker.metrics.release): every scope's tables for the month and its
    weeks, protected together. Never updated once written."""

    __tablename__ = "release"
    __table_args__ = (sa.UniqueConstraint("month", name="uq_release_month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date)  # first day of the calendar month it is named after
    k: Mapped[int] = mapped_column()
    reports: Mapped[int] = mapped_column(default=0)  # reports counted (every scope)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleaseCell(db.Model):
    """One figure of a release. ``value`` is set only when ``status`` is
    "published"; ``detail`` holds non-additive figures (a median, a trust
    mean and interval) beside a published cell."""

    __tablename__ = "release_cell"
    __table_args__ = (
        sa.Index("ix_release_cell_read", "scope", "tbl", "grain", "period", "key"),
        sa.Index("ix_release_cell_release", "release_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(sa.ForeignKey("release.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.String(16))  # "all" | "force:<id>"
    tbl: Mapped[str] = mapped_column(sa.String(24))
    grain: Mapped[str] = mapped_column(sa.String(5))  # "week" | "month"
    period: Mapped[date] = mapped_column(sa.Date)
    key: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(10))  # published | primary | secondary
    detail: Mapped[dict | None] = mapped_column(sa.JSON)
