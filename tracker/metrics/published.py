"""Reading the published release (tracker.metrics.release): the only source
of every figure on /trends, its CSV, alerts, "what changed", the trust
figures, /transparency and its HXL export.

A :class:`Figure` is one release cell, or the sum of several cells of the
same table and key over a range of periods. A sum is exact when every part
is published; when some part is hidden it is the sum of the published parts
and says "at least"; when every part is hidden it is hidden.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from tracker.extensions import db
from tracker.metrics.anonymise import period_label, shift_period
from tracker.metrics.models import Release, ReleaseCell
from tracker.metrics.release import ALL, TRUST_TABLES, force_scope, month_weeks

DETAIL_TABLES = ("duration",) + TRUST_TABLES


@dataclass(frozen=True)
class Figure:
    """A figure as shown. ``status``: published | primary (a count of 1..K−1
    or a harm sum too small or dominated) | secondary (hidden to protect
    other figures) | at_least (a sum over hidden parts: ``value`` is the sum
    of the published ones) | hidden (a sum whose every part is hidden)."""

    value: int | None
    k: int
    status: str
    scope: str = ""
    table: str = ""
    period: str = ""
    key: str = ""

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def primary(self) -> bool:
        return self.status == "primary"

    @property
    def at_least(self) -> bool:
        return self.status == "at_least"

    @property
    def exact(self) -> bool:
        return self.status == "published"


def scope_name(force_ids: tuple[int, ...] | None) -> str:
    """The release scope of a commander's force, or "all"."""
    return ALL if force_ids is None else force_scope(force_ids[0] if force_ids else 0)


def released_months() -> list[date]:
    return list(db.session.scalars(sa.select(Release.month).order_by(Release.month)).all())


def last_published_at() -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(Release.published_at)))


def release_k(months: list[date]) -> int | None:
    if not months:
        return None
    return db.session.scalar(sa.select(Release.k).where(Release.month == months[-1]))


def periods_of(months: list[date], grain: str) -> list[date]:
    """The periods (month starts or week Mondays) of released months."""
    if grain == "month":
        return list(months)
    return [w for m in months for w in month_weeks(m)]


def label(period: date, grain: str) -> str:
    return period_label(period, grain)


class Reader:
    """The cells of a scope over some released months, read once (and the
    trust cells of the other ``scopes``, i.e. "all")."""

    def __init__(self, scopes: list[str], months: list[date], k: int, grains: tuple[str, ...] = ("month", "week")) -> None:
        self.k = k
        self.cells: dict[tuple, tuple[int | None, str, dict | None]] = {}
        if not months:
            return
        first = min(month_weeks(months[0])[0], months[0])
        last = max(months[-1], month_weeks(months[-1])[-1])
        t = ReleaseCell
        in_range = (t.period >= first, t.period <= last, t.grain.in_(grains))
        # The first scope in full; of "all" beside a force, only the trust
        # figures (they are about every force).
        where = sa.or_(t.scope == scopes[0], sa.and_(t.scope.in_(scopes[1:]), t.tbl.in_(TRUST_TABLES)))
        stmt = sa.select(t.scope, t.tbl, t.grain, t.period, t.key, t.value, t.status).where(where, *in_range)
        conn = db.session.connection()
        for row in conn.execute(stmt):
            self.cells[tuple(row[:5])] = (row[5], row[6], None)
        detail = sa.select(t.scope, t.tbl, t.grain, t.period, t.key, t.detail).where(
            t.scope.in_(scopes), t.tbl.in_(DETAIL_TABLES), t.status == "published", *in_range)
        for row in conn.execute(detail):
            key = tuple(row[:5])
            value, status, _none = self.cells.get(key, (None, "published", None))
            self.cells[key] = (value, status, row[5])

    def has(self, scope: str, table: str, grain: str, period: date, key: str) -> bool:
        return (scope, table, grain, period, key) in self.cells

    def detail(self, scope: str, table: str, grain: str, period: date, key: str) -> dict | None:
        cell = self.cells.get((scope, table, grain, period, key))
        return cell[2] if cell else None

    def cell(self, scope: str, table: str, grain: str, period: date, key: str) -> Figure:
        value, status, _detail = self.cells.get((scope, table, grain, period, key), (None, "secondary", None))
        return Figure(value, self.k, status, scope, table, label(period, grain), key)

    def total(self, scope: str, table: str, grain: str, periods: list[date], key: str) -> Figure:
        """The sum over ``periods``: exact, "at least", or hidden."""
        if len(periods) == 1:
            return self.cell(scope, table, grain, periods[0], key)
        parts = [self.cell(scope, table, grain, p, key) for p in periods]
        shown = [f.value for f in parts if f.value is not None]
        span = f"{label(periods[0], grain)}..{label(periods[-1], grain)}" if periods else ""
        if not parts:
            return Figure(0, self.k, "published", scope, table, span, key)
        if len(shown) == len(parts):
            status = "published"
        elif shown:
            status = "at_least"
        else:
            status = "hidden"
        return Figure(sum(shown) if shown else None, self.k, status, scope, table, span, key)


def previous_periods(period: date, grain: str, n: int) -> list[date]:
    return [shift_period(period, grain, -i) for i in range(n, 0, -1)] if grain == "month" else [
        date.fromordinal(period.toordinal() - 7 * i) for i in range(n, 0, -1)
    ]
