"""What the commander trend page and the public transparency page show
(STYLE habit 5): views, CSV and HXL exports only format it.

Every figure is read from the published release (tracker.metrics.release,
tracker.metrics.published): nothing here counts reports or reads rollups.
Sums over several periods are sums of published cells, marked "at least"
when a part is hidden; alerts and "what changed" use published figures of
complete (released) periods only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.admin.settings import k_threshold
from tracker.core.i18n import localized
from tracker.extensions import db
from tracker.intake.models import SEVERITIES, SEVERITY_ORDER
from tracker.intake.statuses import OUTCOMES
from tracker.metrics import alerts as alerts_mod
from tracker.metrics.alerts import BASELINE_PERIODS
from tracker.metrics.anonymise import Cell, period_label
from tracker.metrics.models import OUTCOME_FIELDS
from tracker.metrics.published import (
    Figure,
    Reader,
    last_published_at,
    periods_of,
    previous_periods,
    release_k,
    released_months,
)
from tracker.metrics.release import ALL
from tracker.metrics.trust import Estimate

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
    return str(SEVERITIES.get(code, code))


# --------------------------------------------------------------------------- the published view


@dataclass(frozen=True)
class View:
    """What the reader asked for, in release terms: a scope, a grain, whole
    released months, and at most one of province / category / unit."""

    scope: str
    grain: str
    months: tuple[date, ...]
    province: str | None = None  # P-code
    category: str | None = None
    unit: str | None = None  # unit id as a string
    units_only: tuple[str, ...] | None = None  # a commander restricted to some units


def _region_table() -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
    """P-code → name (reader's language), → id, → parent P-code."""
    from tracker.reference.models import Region

    rows = db.session.execute(sa.select(Region.id, Region.pcode, Region.names, Region.parent_id, Region.level)).all()
    by_id = {r.id: r.pcode for r in rows}
    return ({r.pcode: localized(r.names) for r in rows}, {r.pcode: r.id for r in rows},
            {r.pcode: by_id.get(r.parent_id, "") for r in rows})


def _unit_labels(keys) -> dict[str, str]:
    names = unit_names([int(k) for k in keys if k.isdigit()])
    return {k: names.get(int(k), "") if k.isdigit() else "" for k in keys}


def _line(reader: Reader, scope: str, table: str, grain: str, periods: list[date], keys: list[str],
          labels: dict[str, str], *, total_key: tuple[str, str] | None = None, drop_zeros: bool = True) -> LabeledSeries:
    """One breakdown summed over ``periods``; its total is the release's own
    total cell (summed over the periods) when there is one."""
    items = [Item(key, labels.get(key, key), reader.total(scope, table, grain, periods, key)) for key in keys]
    if drop_zeros:  # places, units and kinds with nothing in the range are left out
        items = [i for i in items if not (i.cell.exact and i.cell.value == 0)]
    total = reader.total(scope, total_key[0], grain, periods, total_key[1]) if total_key else None
    return LabeledSeries(items, total, reader.k)


@dataclass
class TrendsPage:
    k: int
    view: View
    published_at: object
    notices: list[str]
    period_title: str
    by_period: LabeledSeries
    by_region: LabeledSeries | None
    region_title: str
    by_unit: LabeledSeries | None
    by_category: LabeledSeries | None
    by_severity: LabeledSeries | None
    harm_by_region: dict[str, list[Figure]]
    harm: list[tuple[str, Figure]]
    outcomes: LabeledSeries | None
    share_substantiated: float | None
    median_triage: int | None
    median_resolution: int | None
    durations_month: str
    trust: list[TrustSeries]
    alerts: list
    drivers: Drivers | None

    @property
    def filters(self):  # the template's name for the view
        return self.view


def default_months(grain: str) -> list[date]:
    """The released months a page shows by default: the last 12 (months) or
    the last 3 (weeks), ending at the last published, complete month."""
    months = released_months()
    return months[-(DEFAULT_SPAN[grain] if grain == "month" else 3):]


def commander_trends(view: View) -> TrendsPage:
    """Everything /trends shows for ``view``, read from the release only."""
    all_months = released_months()
    k = release_k(all_months) or k_threshold()
    months = [m for m in all_months if m in view.months]
    # Six earlier periods for alert baselines.
    earlier = [m for m in all_months if m < (months[0] if months else date.max)][-(BASELINE_PERIODS + 1):]
    reader = Reader([view.scope, ALL], earlier + months, k, ("month", "week") if view.grain == "week" else ("month",))
    scope, grain = view.scope, view.grain
    notices: list[str] = []
    names, region_ids, parent = _region_table()
    names["-"] = _("Place not known")
    is_force = scope != ALL

    # The period line.
    if view.category and grain == "week":
        notices.append(_("Kinds of harm are published by month only: showing months."))
        grain = "month"
    periods = periods_of(months, grain)
    if view.province:
        table, key, title = "province", view.province, _("Reports per period in %(place)s", place=names.get(view.province, ""))
    elif view.category:
        table, key, title = "category", view.category, _("Reports per period: %(kind)s", kind=category_label(view.category))
    elif view.unit:
        table, key, title = "unit", view.unit, _("Reports per period: %(unit)s", unit=_unit_labels([view.unit])[view.unit])
    else:
        table, key, title = "total", "*", _("Reports per period")
    units_only = view.units_only
    if units_only is not None and table != "unit":
        notices.append(_("Your account covers some units only: figures are shown for those units."))
        table, key = "unit", None
    if key is None:
        by_period = LabeledSeries([], None, k)
    else:
        items = [Item(p, period_label(p, grain), reader.cell(scope, table, grain, p, key)) for p in periods]
        by_period = LabeledSeries(items, reader.total(scope, table, grain, periods, key), k)

    plain = not (view.province or view.category or view.unit) and units_only is None
    by_region = by_unit = by_category = by_severity = outcomes = None
    harm_by_region: dict[str, list[Figure]] = {}
    harm: list[tuple[str, Figure]] = []
    region_title = _("Reports by region")
    share = med_t = med_r = None
    provinces = sorted((c for c in {key_[4] for key_ in reader.cells if key_[1] == "province"}),
                       key=lambda c: (c == "-", names.get(c, c)))
    if plain:
        by_region = _line(reader, scope, "province", "month", months, provinces, names, total_key=("total", "*"))
        for pv in provinces:
            harm_by_region[pv] = [reader.total(scope, "harm_province", "month", months, f"{h}|{pv}") for h in HARM_FIELDS]
        harm = [(str(lbl), reader.total(scope, "harm", "month", months, h)) for h, lbl in HARM_FIELDS.items()]
        sev = list(SEVERITY_ORDER)
        by_severity = _line(reader, scope, "severity", "month", months, sev, {s: severity_label(s) for s in sev},
                            total_key=("total", "*"), drop_zeros=False)
        from tracker.reference.models import CATEGORIES

        cats = [c for c in CATEGORIES]
        by_category = _line(reader, scope, "category", "month", months, cats, {c: category_label(c) for c in cats})
        by_category.items.sort(key=lambda i: (i.cell.value is None, -(i.cell.value or 0)))
        outcomes = _line(reader, scope, "outcome", "month", months, list(OUTCOME_FIELDS),
                         {o: str(OUTCOMES[o]) for o in OUTCOME_FIELDS}, total_key=("outcome", "resolved"),
                         drop_zeros=False)
        sub, resolved = outcomes.items[0].cell, outcomes.total
        if sub.exact and resolved.exact and resolved.value:
            share = sub.value / resolved.value
        if months:
            for kind in ("triage", "resolution"):
                d = reader.detail(scope, "duration", "month", months[-1], kind)
                value = d.get("median_days") if d else None
                if kind == "triage":
                    med_t = value
                else:
                    med_r = value
    elif view.province:
        districts = sorted((c for c in {key_[4] for key_ in reader.cells if key_[1] == "district"}
                            if parent.get(c) == view.province or c == view.province),
                           key=lambda c: names.get(c, c))
        by_region = _line(reader, scope, "district", "month", months, districts, names,
                          total_key=("province", view.province))
        region_title = _("Reports by district in %(place)s", place=names.get(view.province, ""))
        harm = [(str(lbl), reader.total(scope, "harm_province", "month", months, f"{h}|{view.province}"))
                for h, lbl in HARM_FIELDS.items()]
        notices.append(_("For one province the release has districts and harm totals only; "
                         "units, kinds of harm and severity are published for the whole force."))
    elif view.category or view.unit:
        notices.append(_("For one kind of harm or one unit the release has the count per period only."))
    if is_force and (plain or units_only is not None) and not view.unit:
        unit_keys = sorted({key_[4] for key_ in reader.cells if key_[0] == scope and key_[1] == "unit"},
                           key=lambda u: (u == "0", u))
        if units_only is not None:
            unit_keys = [u for u in unit_keys if u in units_only]
        ulabels = _unit_labels(unit_keys)
        ulabels["0"] = _("Unit not known")
        by_unit = _line(reader, scope, "unit", "month", months, unit_keys, ulabels,
                        total_key=None if units_only is not None else ("total", "*"))
    if units_only is not None and view.unit is None and by_unit is not None:
        by_period = LabeledSeries([], None, k)

    # Trust: every answer in the region, whichever force (scope "all").
    trust = _trust(reader, months, view.province, names, parent)

    # Alerts and what changed: complete, published periods only.
    alerts: list = []
    drivers = None
    if periods:
        current = periods[-1]
        base = previous_periods(current, grain, BASELINE_PERIODS)
        subjects: dict[tuple[str, str], list[Figure]] = {}
        if units_only is None:
            region_tab, region_keys = ("province", provinces) if not view.province else (
                ("district", [i.key for i in by_region.items]) if grain == "month" and by_region else ("province", []))
            if not view.category and not view.unit:
                for rk in region_keys:
                    subjects[("region", rk)] = [reader.cell(scope, region_tab, grain, p, rk) for p in base + [current]]
        if is_force and not view.province and not view.category:
            for u in ([view.unit] if view.unit else (by_unit.items and [i.key for i in by_unit.items] or [])):
                subjects[("unit", u)] = [reader.cell(scope, "unit", grain, p, u) for p in base + [current]]
        labels = {("region", c): n for c, n in names.items()}
        labels.update({("unit", u): n for u, n in _unit_labels([s[1] for s in subjects if s[0] == "unit"]).items()})
        alerts = alerts_mod.count_alerts(subjects, grain, current, k, labels=labels)
        for a in alerts:
            a.subject_id = region_ids.get(a.subject_id, 0) if a.subject == "region" else int(a.subject_id)
        if grain == "month" and units_only is None and not view.category and not view.unit:
            alerts += _trust_alerts(reader, months, view.province, names, region_ids)
        if len(by_period.items) >= 2:
            drivers = _drivers(reader, view, grain, periods, by_period, provinces if plain else [], names)
    return TrendsPage(
        k, view, last_published_at(), notices, title, by_period, by_region, region_title, by_unit, by_category,
        by_severity, harm_by_region, harm, outcomes, share, med_t, med_r,
        period_label(months[-1], "month") if months else "", trust, alerts, drivers,
    )


def _trust(reader: Reader, months: list[date], province: str | None, names: dict, parent: dict) -> list[TrustSeries]:
    """Trust index and safety per province (or the districts of one) and
    month, from the release: shown only where its n is published."""
    if province:
        table_t, table_s = "trust_district", "safety_district"
        keys = sorted({c[4] for c in reader.cells if c[1] == table_t and province in (c[4], parent.get(c[4]))})
    else:
        table_t, table_s = "trust_province", "safety_province"
        keys = sorted({c[4] for c in reader.cells if c[1] == table_t})
    out = []
    for key in sorted(keys, key=lambda c: names.get(c, c)):
        pts = [(period_label(m, "month"), _estimate(reader, table_t, m, key), _estimate(reader, table_s, m, key))
               for m in months]
        if any(t.n or s_.n for _l, t, s_ in pts):
            out.append(TrustSeries(key, names.get(key, key), pts))
    return out


def _estimate(reader: Reader, table: str, month: date, key: str) -> Estimate:
    """An Estimate from a trust cell: a figure when its n is published;
    otherwise n = 0 with status "suppressed" (the n itself stays hidden)."""
    if not reader.has(ALL, table, "month", month, key):
        return Estimate(0, None, None, None, None, "none")
    fig = reader.cell(ALL, table, "month", month, key)
    d = reader.detail(ALL, table, "month", month, key)
    if not fig.exact:
        return Estimate(0, None, None, None, None, fig.status)
    if not fig.value or not d:
        return Estimate(0, None, None, None, None, "none")
    return Estimate(fig.value, d["mean"], d["low"], d["high"], d["se"], "low_confidence" if d["low_confidence"] else "ok")


def _trust_alerts(reader, months, province, names, region_ids) -> list:
    if len(months) < 2:
        return []
    table = "trust_district" if province else "trust_province"
    keys = {c[4] for c in reader.cells if c[1] == table}
    est = {}
    for key in keys:
        before, after = _estimate(reader, table, months[-2], key), _estimate(reader, table, months[-1], key)
        if before.shown and after.shown:
            est[key] = (before, after)
    labels = {("region", c): n for c, n in names.items()}
    found = alerts_mod.trust_alerts(est, months[-1], labels=labels)
    for a in found:
        a.subject_id = region_ids.get(a.subject_id, 0)
    return found


def _drivers(reader, view, grain, periods, by_period, provinces, names) -> Drivers:
    """What changed between the last two periods shown, and which kinds of
    harm and regions drove it: published figures of both periods only."""
    before, after = periods[-2], periods[-1]
    safe = []
    if provinces and grain == "month":
        from tracker.reference.models import CATEGORIES

        for code in CATEGORIES:
            b, a = (reader.cell(view.scope, "category", grain, p, code) for p in (before, after))
            if b.exact and a.exact and a.value != b.value:
                safe.append(Driver(category_label(code), b.value, a.value))
    for pv in provinces:
        b, a = (reader.cell(view.scope, "province", grain, p, pv) for p in (before, after))
        if b.exact and a.exact and a.value != b.value:
            safe.append(Driver(names.get(pv, pv), b.value, a.value))
    rising = sorted([d for d in safe if d.change > 0], key=lambda d: -d.change)[:3]
    falling = sorted([d for d in safe if d.change < 0], key=lambda d: d.change)[:3]
    cell_b, cell_a = by_period.items[-2].cell, by_period.items[-1].cell
    tb, ta = cell_b.value, cell_a.value
    bl, al = period_label(before, grain), period_label(after, grain)
    if not (cell_b.exact and cell_a.exact):
        summary = _("Too few reports in %(before)s or %(after)s to compare them safely.", before=bl, after=al)
    elif ta > tb:
        summary = _("Reports rose from %(before_n)s in %(before)s to %(after_n)s in %(after)s.",
                    before_n=tb, before=bl, after_n=ta, after=al)
    elif ta < tb:
        summary = _("Reports fell from %(before_n)s in %(before)s to %(after_n)s in %(after)s.",
                    before_n=tb, before=bl, after_n=ta, after=al)
    else:
        summary = _("Reports stayed at %(n)s between %(before)s and %(after)s.", n=ta, before=bl, after=al)
    return Drivers(bl, al, cell_b, cell_a, rising, falling, summary)


# --------------------------------------------------------------------------- public page


@dataclass
class TransparencyRow:
    month: date
    label: str
    cells: list[Figure]  # one per province column
    total: Figure


@dataclass
class TransparencyPage:
    k: int
    published_at: object
    provinces: list[tuple[str, str]]  # (P-code, name)
    rows: list[TransparencyRow]
    col_totals: list[Figure]
    total: Figure
    trust: list[TrustSeries]

    @property
    def months(self) -> list[str]:
        return [r.label for r in self.rows]


def transparency() -> TransparencyPage:
    """Month × province counts of every force, the trust index per province
    and month (the public subset of the "all" scope of the last 12 released
    months). Commander responses are not figures: tracker.responses gives them."""
    months = released_months()[-DEFAULT_SPAN["month"]:]
    k = release_k(months) or k_threshold()
    reader = Reader([ALL], months, k, ("month",))
    names, _ids, _parent = _region_table()
    names["-"] = _("Place not known")
    codes = sorted({c[4] for c in reader.cells if c[1] == "province" and c[2] == "month"},
                   key=lambda c: (c == "-", c))
    # "Place not known" only when some month publishes something there.
    codes = [c for c in codes if c != "-" or any(reader.cell(ALL, "province", "month", m, c).value for m in months)
             or any(not reader.cell(ALL, "province", "month", m, c).exact for m in months)]
    rows = [
        TransparencyRow(m, period_label(m, "month"), [reader.cell(ALL, "province", "month", m, c) for c in codes],
                        reader.cell(ALL, "total", "month", m, "*"))
        for m in months
    ]
    col_totals = [reader.total(ALL, "province", "month", months, c) for c in codes]
    total = reader.total(ALL, "total", "month", months, "*")
    return TransparencyPage(k, last_published_at(), [(c, names.get(c, c)) for c in codes], rows, col_totals, total,
                            _trust(reader, months, None, names, {}))


HXL_HEADER = (
    ("Month", "Province code", "Province", "Reports", "Figure status", "Trust index", "Trust answers",
     "Safety score", "Safety answers"),
    ("#date+month", "#adm1+code", "#adm1+name", "#affected+reports+num", "#status+reports", "#indicator+trust+index",
     "#indicator+trust+n", "#indicator+safety+index", "#indicator+safety+n"),
)


def transparency_hxl_rows(page: TransparencyPage) -> list[list[str]]:
    """The /transparency figures as HXL rows, one per month and province,
    from the same release: a hidden figure is an empty cell with its
    status ("primary" = fewer than K, "secondary" = hidden to protect
    other figures), never a number."""
    trust = {s.region_id: {lbl: (t, sf) for lbl, t, sf in s.points} for s in page.trust}
    out = [list(HXL_HEADER[0]), list(HXL_HEADER[1])]
    for row in page.rows:
        for (code, name), fig in zip(page.provinces, row.cells, strict=False):
            t, sf = trust.get(code, {}).get(row.label, (None, None))
            out.append([
                row.label, "" if code == "-" else code, name,
                "" if fig.value is None else str(fig.value), fig.status,
                f"{t.mean:.1f}" if t is not None and t.shown else "", str(t.n) if t is not None and t.shown else "",
                f"{sf.mean:.1f}" if sf is not None and sf.shown else "", str(sf.n) if sf is not None and sf.shown else "",
            ])
    return out
