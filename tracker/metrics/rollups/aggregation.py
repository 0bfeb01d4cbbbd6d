"""Rollups, the pure part: what one report (or pulse answer) counts, and
where. Both paths that fill the rollup tables use this, so they always
agree: a full rebuild (tracker.metrics.rollups.rebuild) and the live upkeep
at each commit (tracker.metrics.rollups.upkeep).

Only reports with ``consent_statistics`` count. Periods are those of the
incident date (``occurred_on``): months for every report, ISO weeks only for
reports that give the exact day (a month-only date has no week).
"""
from __future__ import annotations

import functools
import types
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from tracker.cases.models import Case
from tracker.extensions import db
from tracker.intake.models import PulseResponse, Report, ReportCategory
from tracker.intake.statuses import STATES_WITH_OUTCOME
from tracker.metrics.anonymise import period_start
from tracker.metrics.models import COUNT_FIELDS, OUTCOME_FIELDS, PULSE_FIELDS
from tracker.metrics.trust import safety_value12, trust_value12
from tracker.reference.models import Region

GRAINS = ("week", "month")
#: A case in these states has an outcome, and counts as resolved.
RESOLVED_STATES = STATES_WITH_OUTCOME


# --------------------------------------------------------------------------- durations


def duration_bucket(days: int) -> int:
    """Days → histogram bucket (its lower bound): every day up to 30, then
    weeks up to 90, then 30-day steps up to a year, then 365+."""
    days = max(0, int(days))
    if days <= 30:
        return days
    if days <= 90:
        return 31 + 7 * ((days - 31) // 7)
    if days < 365:
        return 91 + 30 * ((days - 91) // 30)
    return 365


def days_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole days from ``start`` to ``end`` (None if either is missing)."""
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 86400))


# --------------------------------------------------------------------------- regions


# The given regions and their ancestors: what ``rollup_region`` needs for
# them (a few rows, however large the tree).
_CHAINS = sa.text(
    "WITH RECURSIVE up(id, parent_id, level, depth) AS ("
    " SELECT id, parent_id, level, 0 FROM region WHERE id IN :ids"
    " UNION ALL SELECT r.id, r.parent_id, r.level, up.depth + 1 FROM region r JOIN up ON r.id = up.parent_id"
    " WHERE up.depth < 32)"
    " SELECT DISTINCT id, parent_id, level FROM up"
).bindparams(sa.bindparam("ids", expanding=True))


class RegionMap:
    """Report region → (province id, rollup region id), and back.

    ``RegionMap(only=ids)`` reads only those regions and their ancestors
    (the live upkeep of new reports, on every intake, should not read a
    whole country's tree): enough for their ``rollup_region``; the first
    ``raw_regions`` reads the rest. ``session``: the one whose view of the
    tree counts (a region moved in it, not yet committed)."""

    def __init__(self, only=None, session=None) -> None:
        self.session = session or db.session
        self.partial = only is not None
        if self.partial:
            ids = sorted({rid for rid in only if rid is not None})
            self._load(self.session.execute(_CHAINS, {"ids": ids}).all() if ids else [])
        else:
            self._load(self.session.execute(sa.select(Region.id, Region.parent_id, Region.level)).all())

    def _load(self, rows) -> None:
        self.parent: dict[int, int | None] = {r.id: r.parent_id for r in rows}
        parent = self.parent
        level = {r.id: r.level for r in rows}

        def up_to(rid, lvl):
            while rid is not None and level.get(rid, 0) > lvl and parent.get(rid) is not None:
                rid = parent[rid]
            return rid

        self.to_rollup: dict[int, tuple[int, int]] = {}
        self.members: dict[int, list[int]] = defaultdict(list)
        for rid in level:
            district = up_to(rid, 2)
            province = up_to(rid, 1) if level[rid] >= 1 else 0
            self.to_rollup[rid] = (province or 0, district)
            self.members[district].append(rid)

    def rollup_region(self, region_id: int | None) -> tuple[int, int]:
        return self.to_rollup.get(region_id, (0, region_id or 0))

    def raw_regions(self, rollup_region_id: int) -> list[int]:
        if self.partial:
            self.partial = False
            self._load(self.session.execute(sa.select(Region.id, Region.parent_id, Region.level)).all())
        return sorted(self.members.get(rollup_region_id, [rollup_region_id]))


# --------------------------------------------------------------------------- aggregation


@functools.cache
def report_query():
    """Every counted report (consent_statistics) with its case's state,
    outcome and dates, one row per category, ordered by report: callers
    narrow it with ``.where`` and group it with grouped_by_report. Built
    once: a Select is immutable, and ``.where`` makes a new one."""
    return (
        sa.select(
            Report.id,
            Report.case_id,
            Report.occurred_on,
            Report.occurred_precision,
            Report.region_id,
            Report.force_id,
            Report.unit_id,
            Report.severity,
            Report.killed,
            Report.injured,
            Report.detained,
            Report.missing,
            Report.displaced_households,
            Report.property_damaged,
            Report.victims_children,
            Report.victims_women,
            Report.victims_elderly,
            Report.victims_disability,
            Case.state,
            Case.outcome,
            Case.created_at,
            Case.triaged_at,
            Case.resolved_at,
            ReportCategory.category,
        )
        .select_from(Report)
        .outerjoin(Case, Case.id == Report.case_id)
        .outerjoin(ReportCategory, ReportCategory.report_id == Report.id)
        .where(Report.consent_statistics.is_(True))
        .order_by(Report.id, ReportCategory.category)
    )


@functools.cache
def _report_columns() -> tuple[tuple[str, bool], ...]:
    """report_query's columns: (name, whether it is read from the case)."""
    return tuple((c.key, c.table is Case.__table__) for c in report_query().selected_columns if c.key != "category")


def report_row(report: Report):
    """A report held in the session, as report_query would give it
    (``None`` if it does not count): what the live upkeep adds for a report
    created in the transaction, without reading it back. The columns are
    report_query's, so the two cannot drift; attributes not loaded are
    loaded as usual."""
    if not report.consent_statistics:
        return None
    case = report.case
    return types.SimpleNamespace(**{
        name: (getattr(case, name) if case is not None else None) if of_case else getattr(report, name)
        for name, of_case in _report_columns()
    })


def grouped_by_report(rows):
    """Rows of the report query (one per category) → (report row, categories)."""
    current, cats = None, []
    for row in rows:
        if current is not None and row.id != current.id:
            yield current, cats
            cats = []
        current = row
        if row.category is not None:
            cats.append(row.category)
    if current is not None:
        yield current, cats


class Aggregates:
    """Rollup rows being summed: ``counts`` by (grain, period, province,
    district, force, unit, category, severity), one value per COUNT_FIELDS;
    ``durations`` by (period, province, district, force, unit, kind, bucket)."""

    def __init__(self) -> None:
        self.counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * 16)
        self.durations: dict[tuple, int] = defaultdict(int)

    def add(
        self, r, categories: list[str], regions: RegionMap, grains=GRAINS, only: tuple | None = None, sign: int = 1
    ) -> None:
        """Add one report (``sign=-1``: take it away). ``only`` = (grain,
        period_start, region_id) limits the contribution to one slice (for
        the live path)."""
        province, region = regions.rollup_region(r.region_id)
        resolved = r.state in RESOLVED_STATES and r.outcome is not None
        values = [
            1,
            r.killed or 0,
            r.injured or 0,
            r.detained or 0,
            r.missing or 0,
            r.displaced_households or 0,
            int(bool(r.property_damaged)),
            int(bool(r.victims_children)),
            int(bool(r.victims_women)),
            int(bool(r.victims_elderly)),
            int(bool(r.victims_disability)),
            int(resolved),
        ] + [int(resolved and r.outcome == o) for o in OUTCOME_FIELDS]
        force, unit = r.force_id or 0, r.unit_id or 0
        nonzero = [(i, v * sign) for i, v in enumerate(values) if v]  # mostly reports + a flag or two
        cats = ["*"] + sorted(set(categories))
        counts = self.counts
        for grain in grains:
            if grain == "week" and r.occurred_precision != "day":
                continue
            start = period_start(r.occurred_on, grain)
            if only is not None and (grain, start, region) != only:
                continue
            for cat in cats:
                acc = counts[(grain, start, province, region, force, unit, cat, r.severity)]
                for i, v in nonzero:
                    acc[i] += v
            if grain == "month":
                triage = days_between(r.created_at, r.triaged_at)
                resolution = days_between(r.created_at, r.resolved_at) if resolved else None
                for kind, days in (("triage", triage), ("resolution", resolution)):
                    if days is not None:
                        self.durations[(start, province, region, force, unit, kind, duration_bucket(days))] += sign


def count_rows(agg: Aggregates) -> list[dict]:
    out = []
    for (grain, start, province, region, force, unit, cat, sev), vals in agg.counts.items():
        row = dict(
            grain=grain, period_start=start, province_id=province, region_id=region, force_id=force,
            unit_id=unit, category=cat, severity=sev,
        )
        row.update(zip(COUNT_FIELDS, vals, strict=False))
        out.append(row)
    return out


def duration_rows(agg: Aggregates) -> list[dict]:
    return [
        dict(period_start=s, province_id=p, region_id=r, force_id=f, unit_id=u, kind=k, bucket=b, n=n)
        for (s, p, r, f, u, k, b), n in agg.durations.items()
    ]


def pulse_aggregate(rows, regions: RegionMap) -> list[dict]:
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for p in rows:
        province, region = regions.rollup_region(p.region_id)
        a = acc[(period_start(p.month, "month"), province, region, p.force_id or 0)]
        t = trust_value12((p.respect, p.voice, p.fairness, p.safe_to_report))
        if t is not None:
            a[0] += 1
            a[1] += t
            a[2] += t * t
        s = safety_value12(p.safety)
        if s is not None:
            a[3] += 1
            a[4] += s
            a[5] += s * s
    out = []
    for (start, province, region, force), vals in acc.items():
        row = dict(period_start=start, province_id=province, region_id=region, force_id=force)
        row.update(zip(PULSE_FIELDS, vals, strict=False))
        out.append(row)
    return out


@functools.cache
def pulse_query():
    """Every trust-pulse answer, with what the pulse rollups count of it
    (built once, like report_query)."""
    p = PulseResponse
    return sa.select(p.region_id, p.force_id, p.month, p.respect, p.voice, p.fairness, p.safe_to_report, p.safety)


def insert_rows(session, table, rows: list[dict], chunk: int = 5000) -> None:
    """Insert rollup rows in chunks (one statement per chunk)."""
    for i in range(0, len(rows), chunk):
        session.execute(sa.insert(table), rows[i : i + chunk])
