"""What the commander trend page and the public transparency page show,
already anonymised (STYLE habit 5): views and CSV exports only format it.

Every count goes through tracker.metrics.anonymise; sums shown beside a
count line (harm totals) hide the same cells; shares and medians are only
given when the counts behind them are publishable.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.core.db import utcnow
from tracker.core.i18n import localized
from tracker.extensions import db
from tracker.metrics import alerts as alerts_mod
from tracker.metrics import queries
from tracker.metrics.anonymise import (
    Cell,
    Table,
    check_grain,
    check_region_level,
    k_threshold,
    period_label,
    period_start,
    periods_between,
    shift_period,
    suppress_crosstab,
    suppress_series,
    suppress_table,
)
from tracker.metrics.queries import Filters, Scope
from tracker.metrics.rollups import median_from_histogram

HARM_FIELDS = {
    "killed": _l("People killed"),
    "injured": _l("People injured"),
    "detained": _l("People detained"),
    "missing": _l("People missing"),
    "displaced": _l("Households displaced"),
}
VICTIM_FIELDS = {
    "children": _l("Children among victims"),
    "women": _l("Women among victims"),
    "elderly": _l("Elderly people among victims"),
    "disability": _l("Persons with disabilities among victims"),
}
OUTCOME_FIELDS = ("substantiated", "partly_substantiated", "not_substantiated", "unable_to_determine")
DEFAULT_SPAN = {"month": 12, "week": 13}


@dataclass
class Item:
    key: object
    label: str
    cell: Cell
    extra: dict = field(default_factory=dict)


@dataclass
class LabeledSeries:
    items: list[Item]
    total: Cell | None
    k: int

    @property
    def max_value(self) -> int:
        return max([i.cell.value or 0 for i in self.items] + [0])


@dataclass
class Driver:
    label: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass
class Drivers:
    before_label: str
    after_label: str
    total_before: Cell
    total_after: Cell
    rising: list[Driver]
    falling: list[Driver]
    summary: str


@dataclass
class TrustSeries:
    region_id: int
    label: str
    points: list  # [(period label, trust Estimate, safety Estimate)]


@dataclass
class TrendsPage:
    k: int
    scope: Scope
    filters: Filters
    region_level: int
    by_period: LabeledSeries
    by_region: LabeledSeries
    by_unit: LabeledSeries
    by_category: LabeledSeries
    by_severity: LabeledSeries
    harm: list[tuple[str, int | None]]
    outcomes: LabeledSeries
    share_substantiated: float | None
    median_triage: int | None
    median_resolution: int | None
    victims: list[tuple[str, list[Cell]]]
    victim_labels: list[str]
    trust: list[TrustSeries]
    alerts: list
    drivers: Drivers | None


# --------------------------------------------------------------------------- labels


def _names(model, ids) -> dict[int, str]:
    """Names of regions or units in the current language. The tables are
    small: read each once per request."""
    from flask import g, has_app_context

    ids = [i for i in ids if i]
    if not ids:
        return {}
    cache = g.setdefault("_metrics_names", {}) if has_app_context() else {}
    if model.__tablename__ not in cache:
        cache[model.__tablename__] = dict(db.session.execute(sa.select(model.id, model.names)).all())
    names = cache[model.__tablename__]
    return {i: localized(names[i]) for i in ids if i in names}


def region_names(ids) -> dict[int, str]:
    from tracker.reference.models import Region

    return _names(Region, ids)


def unit_names(ids) -> dict[int, str]:
    from tracker.reference.models import Unit

    out = _names(Unit, ids)
    out[0] = _("Unit not known")
    return out


def category_label(code: str) -> str:
    from tracker.reference.models import CATEGORIES

    return str(CATEGORIES.get(code, code))


def severity_label(code: str) -> str:
    from tracker.intake.models import SEVERITIES

    return str(SEVERITIES.get(code, code))


def default_range(grain: str, today: date | None = None) -> tuple[date, date]:
    last = period_start(today or utcnow().date(), grain)
    return shift_period(last, grain, -(DEFAULT_SPAN[grain] - 1)), last


def _series(keys, labels, values, k, *, with_total=True, extras=None) -> LabeledSeries:
    s = suppress_series(keys, values, k, with_total=with_total)
    items = []
    for i, (key, cell) in enumerate(zip(s.keys, s.cells)):
        extra = {}
        if extras is not None:
            extra = {name: (None if cell.suppressed else v) for name, v in extras[i].items()}
        items.append(Item(key, labels[i], cell, extra))
    return LabeledSeries(items, s.total, k)


# --------------------------------------------------------------------------- commander page


def commander_trends(scope: Scope, f: Filters) -> TrendsPage:
    """Everything the /trends page shows for ``scope`` and the filters,
    anonymised. Reads rollups only."""
    check_grain(scope.audience, f.grain)
    k = k_threshold()
    region_level = 2 if f.province_id else 1
    check_region_level(scope.audience, region_level)
    grain = f.grain
    periods = periods_between(f.first, f.last, grain)

    # One read of the all-categories rows gives periods, regions, units,
    # severities, harm, outcomes and victim characteristics.
    # Let the database group: each read returns a handful of rows.
    rcol = "region_id" if region_level == 2 else "province_id"
    outcome_fields = ("resolved",) + OUTCOME_FIELDS
    by_region = {r: v for (r,), v in queries.report_sums(scope, f, (rcol,), ("reports", *HARM_FIELDS)).items()}
    by_unit = {u: v for (u,), v in queries.report_sums(scope, f, ("unit_id",), ("reports", *VICTIM_FIELDS)).items()}
    sev_rows = queries.report_sums(scope, f, ("period_start", "severity"), ("reports", *outcome_fields))
    by_period: dict[date, int] = defaultdict(int)
    by_severity: dict[str, int] = defaultdict(int)
    for (p, sev), v in sev_rows.items():
        by_period[p] += v["reports"]
        by_severity[sev] += v["reports"]
    totals: dict[str, int] = defaultdict(int)
    for v in list(sev_rows.values()) + list(by_region.values()):
        for name, value in v.items():
            if name != "reports":
                totals[name] += value
    region_period: dict[tuple, int] = {}
    unit_period: dict[tuple, int] = {}
    if periods:
        recent = Filters(f.grain, periods[-2] if len(periods) > 1 else periods[-1], periods[-1], f.province_id,
                         f.category, f.unit_id)
        region_period = {key: v["reports"] for key, v in queries.report_sums(scope, recent, ("period_start", rcol)).items()}
        unit_period = {key: v["reports"] for key, v in queries.report_sums(scope, recent, ("period_start", "unit_id")).items()}

    period_series = _series(
        periods, [period_label(p, grain) for p in periods], [by_period.get(p, 0) for p in periods], k
    )
    rnames = region_names(by_region)
    region_ids = sorted(by_region, key=lambda r: rnames.get(r, ""))
    region_series = _series(
        region_ids,
        [rnames.get(r, "") for r in region_ids],
        [by_region[r]["reports"] for r in region_ids],
        k,
        extras=[{h: by_region[r][h] for h in HARM_FIELDS} for r in region_ids],
    )
    unames = unit_names(by_unit)
    unit_ids = sorted(by_unit, key=lambda u: (u == 0, unames.get(u, "")))
    unit_series = _series(unit_ids, [unames.get(u, "") for u in unit_ids], [by_unit[u]["reports"] for u in unit_ids], k)
    sev_keys = ["critical", "high", "medium", "low"]
    severity_series = _series(sev_keys, [severity_label(s) for s in sev_keys], [by_severity.get(s, 0) for s in sev_keys], k)

    cats = queries.report_sums(scope, f, ("category",), by_category=True)
    cat_keys = sorted((c for (c,) in cats), key=lambda c: -cats[(c,)]["reports"])
    category_series = _series(
        cat_keys, [category_label(c) for c in cat_keys], [cats[(c,)]["reports"] for c in cat_keys], k, with_total=False
    )

    # Harm totals: shown only when the report count behind them is.
    total_cell = period_series.total
    harm = [(str(label), None if total_cell.suppressed else totals[name]) for name, label in HARM_FIELDS.items()]

    from tracker.cases.models import OUTCOMES

    outcome_series = _series(
        list(OUTCOME_FIELDS), [str(OUTCOMES[o]) for o in OUTCOME_FIELDS], [totals[o] for o in OUTCOME_FIELDS], k
    )
    share = None
    sub, resolved = outcome_series.items[0].cell, outcome_series.total
    if not sub.suppressed and not resolved.suppressed and resolved.value:
        share = sub.value / resolved.value

    months = (period_start(f.first, "month"), period_start(f.last, "month")) if f.first else (None, None)
    hist = queries.duration_histograms(scope, f, *months)
    med = {}
    for kind in ("triage", "resolution"):
        n = sum(hist.get(kind, {}).values())
        med[kind] = median_from_histogram(hist[kind]) if n >= k else None

    victim_keys = list(VICTIM_FIELDS)
    victims_cells = suppress_crosstab(unit_ids, victim_keys, [[by_unit[u][v] for v in victim_keys] for u in unit_ids], k)
    victims = [(unames.get(u, ""), cells) for u, cells in zip(unit_ids, victims_cells)]

    trust = trust_series(level=region_level, first=f.first, last=f.last, province_id=f.province_id)

    # The region and unit lines of the last two periods, suppressed with the
    # period's total as published above: alerts and drivers show a
    # region's or unit's count for one period only where these do.
    lines = {}
    for p in periods[-2:]:
        hidden_total = period_series.items[periods.index(p)].cell.suppressed
        for subject, data, ids in (("region", region_period, region_ids), ("unit", unit_period, unit_ids)):
            lines[(p, subject)] = dict(
                zip(ids, suppress_series(ids, [data.get((p, i), 0) for i in ids], k, total_hidden=hidden_total).cells)
            )

    labels = {("region", r): n for r, n in rnames.items()}
    labels.update({("unit", u): n for u, n in unames.items()})
    alerts = []
    if periods:
        current = periods[-1]

        def shown(subject, sid):
            cell = lines.get((current, subject), {}).get(sid)
            return cell is not None and not cell.suppressed

        alerts = alerts_mod.count_alerts(
            scope, f, current, k, region_level=region_level, labels=_AllLabels(labels), shown=shown
        )
        alerts += alerts_mod.trust_alerts(
            period_start(f.last, "month"), region_level=region_level, province_id=f.province_id,
            labels=_AllLabels(labels),
        )

    drivers = _drivers(scope, f, periods, k, rnames, region_period, lines, period_series) if len(periods) >= 2 else None

    return TrendsPage(
        k, scope, f, region_level, period_series, region_series, unit_series, category_series, severity_series,
        harm, outcome_series, share, med["triage"], med["resolution"], victims,
        [str(v) for v in VICTIM_FIELDS.values()], trust, alerts, drivers,
    )


class _AllLabels(dict):
    """Labels that look names up when a region or unit is missing."""

    def get(self, key, default=None):
        if key not in self:
            kind, ident = key
            names = region_names([ident]) if kind == "region" else unit_names([ident])
            self[key] = names.get(ident, default or "")
        return self[key]


def _drivers(scope, f, periods, k, rnames, region_period, lines, period_series) -> Drivers:
    """What changed between the last two periods shown, and which categories
    and regions drove it. Only figures published in both periods (after
    complementary suppression of each period's line) are used."""
    before, after = periods[-2], periods[-1]
    window = Filters(f.grain, before, after, f.province_id, f.category, f.unit_id)
    cats = queries.report_sums(scope, window, ("period_start", "category"), by_category=True)
    cat_codes = sorted({c for (_, c) in cats})
    cat_lines = {
        p: dict(zip(cat_codes, suppress_series(
            cat_codes, [cats.get((p, c), {}).get("reports", 0) for c in cat_codes], k, with_total=False
        ).cells))
        for p in (before, after)
    }
    safe = []
    for code in cat_codes:
        b, a = cat_lines[before][code], cat_lines[after][code]
        if not (b.suppressed or a.suppressed) and a.value != b.value:
            safe.append(Driver(category_label(code), b.value, a.value))
    for rid, name in sorted(rnames.items()):
        b, a = lines[(before, "region")].get(rid), lines[(after, "region")].get(rid)
        if b is not None and a is not None and not (b.suppressed or a.suppressed) and a.value != b.value:
            safe.append(Driver(name, b.value, a.value))
    rising = sorted([d for d in safe if d.change > 0], key=lambda d: -d.change)[:3]
    falling = sorted([d for d in safe if d.change < 0], key=lambda d: d.change)[:3]
    cell_b = period_series.items[-2].cell
    cell_a = period_series.items[-1].cell
    tb, ta = cell_b.value, cell_a.value
    bl, al = period_label(before, f.grain), period_label(after, f.grain)
    if cell_b.suppressed or cell_a.suppressed:
        summary = _("Too few reports in %(before)s or %(after)s to compare them safely.", before=bl, after=al)
    elif ta > tb:
        summary = _("Reports rose from %(before_n)s in %(before)s to %(after_n)s in %(after)s.", before_n=tb, before=bl, after_n=ta, after=al)
    elif ta < tb:
        summary = _("Reports fell from %(before_n)s in %(before)s to %(after_n)s in %(after)s.", before_n=tb, before=bl, after_n=ta, after=al)
    else:
        summary = _("Reports stayed at %(n)s between %(before)s and %(after)s.", n=ta, before=bl, after=al)
    return Drivers(bl, al, cell_b, cell_a, rising, falling, summary)


def trust_series(*, level: int, first: date | None, last: date | None, province_id: int | None = None) -> list[TrustSeries]:
    """Trust index and safety per region and month (every answer in the
    region, whichever force it concerns: the pulse asks about "security
    forces" in general)."""
    first_m = period_start(first, "month") if first else None
    last_m = period_start(last, "month") if last else None
    rows = queries.trust_by_region_month(level=level, first=first_m, last=last_m, province_id=province_id)
    months = periods_between(first_m, last_m, "month") if first_m and last_m else sorted({r.period for r in rows})
    by_region: dict[int, dict] = defaultdict(dict)
    for r in rows:
        by_region[r.region_id][r.period] = r
    names = region_names(by_region)
    from tracker.metrics.trust import Estimate

    empty = Estimate(0, None, None, None, None, "none")
    out = []
    for rid in sorted(by_region, key=lambda r: names.get(r, "")):
        pts = []
        for m in months:
            row = by_region[rid].get(m)
            pts.append((period_label(m, "month"), row.trust if row else empty, row.safety if row else empty))
        out.append(TrustSeries(rid, names.get(rid, ""), pts))
    return out


# --------------------------------------------------------------------------- public page


@dataclass
class TransparencyPage:
    k: int
    months: list[str]
    provinces: list[str]
    table: Table
    trust: list[TrustSeries]
    responses: list[dict]


def transparency(today: date | None = None) -> TransparencyPage:
    """Month × province counts (every force, suppressed with margins), the
    trust index per province and month, and approved commander responses."""
    scope = Scope("public")
    check_grain("public", "month")
    check_region_level("public", 1)
    first, last = default_range("month", today)
    f = Filters("month", first, last)
    k = k_threshold()
    rows = queries.report_sums(scope, f, ("period_start", "province_id"))
    months = periods_between(first, last, "month")
    from tracker.reference.models import Region

    provinces = db.session.execute(
        sa.select(Region.id, Region.names).where(Region.level == 1).order_by(Region.pcode)
    ).all()
    prov_ids = [p.id for p in provinces]
    values = [[rows.get((m, pid), {}).get("reports", 0) for pid in prov_ids] for m in months]
    table = suppress_table(months, prov_ids, values, k)
    trust = trust_series(level=1, first=first, last=last)
    from tracker.trends.responses import public_responses

    return TransparencyPage(
        k,
        [period_label(m, "month") for m in months],
        [localized(p.names) for p in provinces],
        table,
        trust,
        public_responses(),
    )
