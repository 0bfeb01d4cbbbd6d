"""Readers of the rollup tables (never the raw reports).

These return raw sums, before suppression: only tracker.metrics.trends and
tracker.metrics.alerts call them, and those hand out anonymised data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from tracker.extensions import db
from tracker.metrics.models import ALL_CATEGORIES, DurationRollup, PulseRollup, ReportRollup
from tracker.metrics.trust import Estimate, trust_and_safety


@dataclass(frozen=True)
class Scope:
    """Whose data: ``force_ids`` None = every force; ``unit_ids`` None = every
    unit of those forces. ``audience`` decides the finest time and place."""

    audience: str = "public"
    force_ids: tuple[int, ...] | None = None
    unit_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Filters:
    grain: str = "month"
    first: date | None = None  # first period start
    last: date | None = None  # last period start
    province_id: int | None = None
    category: str | None = None
    unit_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False)


def _slice_where(t, scope: Scope, f: Filters, first: date | None, last: date | None) -> list:
    """Period range, the scope's forces and units, and the province/unit
    filters, on a rollup table with period_start/force_id/unit_id/province_id."""
    cond = []
    if first is not None:
        cond.append(t.period_start >= first)
    if last is not None:
        cond.append(t.period_start <= last)
    if scope.force_ids is not None:
        cond.append(t.force_id.in_(scope.force_ids) if scope.force_ids else sa.false())
    if scope.unit_ids is not None:
        cond.append(t.unit_id.in_(scope.unit_ids) if scope.unit_ids else sa.false())
    if f.province_id:
        cond.append(t.province_id == f.province_id)
    if f.unit_id:
        cond.append(t.unit_id == f.unit_id)
    return cond


def _report_where(scope: Scope, f: Filters, *, grain: str | None = None, category: str | None = ALL_CATEGORIES):
    t = ReportRollup
    cond = [t.grain == (grain or f.grain)]
    if category is not None:
        cond.append(t.category == category)
    return cond + _slice_where(t, scope, f, f.first, f.last)


def report_sums(
    scope: Scope,
    f: Filters,
    group_by: tuple[str, ...],
    fields: tuple[str, ...] = ("reports",),
    *,
    grain: str | None = None,
    by_category: bool = False,
) -> dict[tuple, dict[str, int]]:
    """Sum ``fields`` of the report rollup grouped by ``group_by`` columns.
    With ``by_category`` the per-category rows are read (a report counts
    once per category); otherwise the all-categories rows (or the filter's
    category)."""
    t = ReportRollup
    # By category: None means every category row except "*".
    category = f.category if by_category else f.category or ALL_CATEGORIES
    cond = _report_where(scope, f, grain=grain, category=category)
    if by_category and f.category is None:
        cond.append(t.category != ALL_CATEGORIES)
    cols = [getattr(t, g) for g in group_by]
    stmt = (
        sa.select(*cols, *[sa.func.sum(getattr(t, name)).label(name) for name in fields])
        .where(*cond)
        .group_by(*cols)
        .order_by(*cols)
    )
    out = {}
    n = len(cols)
    for row in db.session.execute(stmt):
        out[tuple(row[:n])] = {name: int(row[n + i] or 0) for i, name in enumerate(fields)}
    return out


def duration_histograms(scope: Scope, f: Filters, first_month: date | None, last_month: date | None) -> dict[str, dict[int, int]]:
    """{"triage": {bucket: n}, "resolution": {…}} over the months given."""
    t = DurationRollup
    cond = _slice_where(t, scope, f, first_month, last_month)
    stmt = sa.select(t.kind, t.bucket, sa.func.sum(t.n)).where(*cond).group_by(t.kind, t.bucket).order_by(t.kind, t.bucket)
    out: dict[str, dict[int, int]] = {"triage": {}, "resolution": {}}
    for kind, bucket, n in db.session.execute(stmt):
        out.setdefault(kind, {})[int(bucket)] = int(n or 0)
    return out


def first_period(scope: Scope, grain: str) -> date | None:
    """The earliest period with any report in scope (for alert baselines)."""
    t = ReportRollup
    cond = [t.grain == grain, t.category == ALL_CATEGORIES]
    if scope.force_ids is not None:
        cond.append(t.force_id.in_(scope.force_ids) if scope.force_ids else sa.false())
    return db.session.scalar(sa.select(sa.func.min(t.period_start)).where(*cond))


def latest_period(scope: Scope, grain: str) -> date | None:
    t = ReportRollup
    cond = [t.grain == grain, t.category == ALL_CATEGORIES]
    if scope.force_ids is not None:
        cond.append(t.force_id.in_(scope.force_ids) if scope.force_ids else sa.false())
    return db.session.scalar(sa.select(sa.func.max(t.period_start)).where(*cond))


@dataclass
class TrustRow:
    region_id: int
    region_code: str
    period: date
    trust: Estimate
    safety: Estimate


def region_codes() -> dict[int, str]:
    from tracker.reference.models import Region

    return dict(db.session.execute(sa.select(Region.id, Region.pcode)).all())


def trust_by_region_month(
    *, level: int, first: date | None, last: date | None, province_id: int | None = None, force_ids=None
) -> list[TrustRow]:
    """Trust and safety per region (``level`` 1 = province, 2 = district)
    and month, from the pulse rollup. ``force_ids`` None = every answer."""
    t = PulseRollup
    region_col = t.province_id if level == 1 else t.region_id
    cond = []
    if first is not None:
        cond.append(t.period_start >= first)
    if last is not None:
        cond.append(t.period_start <= last)
    if province_id:
        cond.append(t.province_id == province_id)
    if force_ids is not None:
        cond.append(t.force_id.in_(force_ids))
    names = ("n_trust", "sum_trust", "sumsq_trust", "n_safety", "sum_safety", "sumsq_safety")
    stmt = (
        sa.select(region_col, t.period_start, *[sa.func.sum(getattr(t, n)).label(n) for n in names])
        .where(*cond)
        .group_by(region_col, t.period_start)
        .order_by(region_col, t.period_start)
    )
    codes = region_codes()
    out = []
    for row in db.session.execute(stmt):
        sums = {n: int(row._mapping[n] or 0) for n in names}
        trust, safety = trust_and_safety(sums)
        out.append(TrustRow(row[0], codes.get(row[0], ""), row[1], trust, safety))
    return out
