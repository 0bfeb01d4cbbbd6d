"""The protected release (issue 7): the 4-4-5 calendar, frozen releases,
honest statuses, the three leaks of the issue, and an independent attack by
linear programming over every published cell of every scope.

The oracle never reuses the builder: true counts are tallied here from the
reports the test inserts, the relations between the tables are written out
here from docs/statistics.md, and scipy's linprog (not the builder's HiGHS
model) computes what an adversary can pin down.
"""
import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from tests.metrics.rows import add_report

K = 10


def thursday_month(day: date) -> date:
    """The release month of a day with a known date: the month of its ISO
    week's Thursday."""
    return (day + timedelta(days=3 - day.weekday())).replace(day=1)


def test_every_iso_week_belongs_to_exactly_one_release_month():
    from tracker.metrics.release import month_closes, month_weeks

    seen = []
    for year in (2025, 2026, 2027):
        for m in range(1, 13):
            weeks = month_weeks(date(year, m, 1))
            assert 4 <= len(weeks) <= 5
            for w in weeks:
                assert w.weekday() == 0 and thursday_month(w) == date(year, m, 1)
            seen += weeks
    assert len(seen) == len(set(seen))
    mondays = [seen[0] + timedelta(weeks=i) for i in range(len(seen))]
    assert seen == mondays  # no gap either
    # November 2026 (weeks 45-48, 2-29 Nov) closes on 1 December;
    # January 2026 (weeks 2-5, 5 Jan-1 Feb) once its last week is over.
    assert month_closes(date(2026, 11, 1)) == date(2026, 12, 1)
    assert month_closes(date(2026, 1, 1)) == date(2026, 2, 2)


# --------------------------------------------------------------------------- data


def _ids(db):
    from tracker.reference.models import Force, Unit

    forces = dict(db.session.execute(sa.select(Force.code, Force.id)).all())
    units = {(f, u): uid for f, u, uid in db.session.execute(
        sa.select(Force.code, Unit.code, Unit.id).join(Unit, Unit.force_id == Force.id)).all()}
    return forces, units


PLACES = {"XV0101": "XV01", "XV0102": "XV01", "XV0201": "XV02", "XV0302": "XV03", "XV0402": "XV04"}


def _random_reports(db, seed: int, months=(date(2026, 10, 1),), n=160):
    """Reports over a release month, with small groups on purpose;
    returns [(force code or None, unit code or None, district, severity,
    day)] as inserted."""
    rng = random.Random(seed)
    out = []
    days = [d for m in months for d in (m + timedelta(days=i) for i in range(28))]
    for _ in range(n):
        force = rng.choice(["ARMY", "ARMY", "ARMY", "NAVY", None])
        unit = {"ARMY": rng.choice(["BDE4", "BN12", "SF1", None]), "NAVY": "CG2", None: None}[force]
        district = rng.choice(list(PLACES)) if force != "NAVY" else rng.choice(["XV0402", "XV0101"])
        severity = rng.choice(["critical", "high", "medium", "low", "high", "medium"])
        day = rng.choice(days)
        # Days are kept inside weeks whose Thursday is in the same month.
        if thursday_month(day) not in months:
            day = day + timedelta(days=7)
        add_report(occurred_on=day, region=district, force=force, unit=unit, severity=severity)
        out.append((force, unit, district, severity, day))
    db.session.commit()
    return out


def _truth(reports, forces, units):
    """True counts per (scope, table, grain, period, key), tallied here."""
    t = defaultdict(int)
    for force, unit, district, severity, day in reports:
        month = thursday_month(day)
        week = day - timedelta(days=day.weekday())
        scopes = ["all", f"force:{forces[force] if force else 0}"]
        for scope in scopes:
            for grain, p in (("month", month), ("week", week)):
                t[(scope, "total", grain, p, "*")] += 1
                t[(scope, "province", grain, p, PLACES[district])] += 1
                t[(scope, "severity", grain, p, severity)] += 1
                if scope != "all":
                    t[(scope, "unit", grain, p, str(units[(force, unit)]) if unit else "0")] += 1
            t[(scope, "district", "month", month, district)] += 1
    return t


def _published():
    from tracker.extensions import db
    from tracker.metrics.models import ReleaseCell

    t = ReleaseCell
    rows = db.session.execute(sa.select(t.scope, t.tbl, t.grain, t.period, t.key, t.value, t.status).where(
        t.tbl.in_(("total", "province", "district", "unit", "severity")))).all()
    return {tuple(r[:5]): (r.value, r.status) for r in rows}


def _relations(cells):
    """The additive relations docs/statistics.md lists, over the cells
    (unknown extra terms, month-only dates and reports with no force, as
    free variables ≥ 0)."""
    rels = []  # (parent, [children], has_free_extra)
    by = defaultdict(list)
    for key in cells:
        by[(key[0], key[1], key[2], key[3])].append(key)
    for (scope, table, grain, p), keys in by.items():
        if table != "total":
            continue
        tot = keys[0]
        for child in ("province", "severity", "unit"):
            if (scope, child, grain, p) in by:
                rels.append((tot, by[(scope, child, grain, p)], False))
        if grain == "month":
            for pk in by.get((scope, "province", grain, p), []):
                kids = [d for d in by.get((scope, "district", grain, p), [])
                        if d[4] == pk[4] or (len(d[4]) == 6 and d[4][:4] == pk[4])]
                rels.append((pk, kids, False))
    weeks_of, forces_of = defaultdict(list), defaultdict(list)
    for w in cells:
        if w[2] == "week":
            weeks_of[(w[0], w[1], thursday_month(w[3]), w[4])].append(w)
        if w[0] != "all":
            forces_of[w[1:]].append(w)
    for key in cells:
        scope, table, grain, p, k = key
        if grain == "month" and table in ("total", "province", "unit", "severity"):
            rels.append((key, weeks_of[(scope, table, p, k)], True))
        if scope == "all":
            rels.append((key, forces_of[key[1:]], True))
    return rels


def _attack(cells, truth):
    """For every hidden cell whose true count is 1..K−1: the range an
    adversary gets by linear programming over every published cell."""
    hidden = [c for c, (v, s) in cells.items() if s != "published"]
    col = {c: i for i, c in enumerate(hidden)}
    rels = _relations(cells)
    rows, cols, vals, b = [], [], [], []
    n_extra = sum(1 for _p, _c, extra in rels if extra)
    width = len(hidden) + n_extra
    e = 0
    for parent, children, extra in rels:
        row = defaultdict(float)
        const = 0.0
        for c, coef in [(parent, 1.0)] + [(ch, -1.0) for ch in children]:
            if c in col:
                row[col[c]] += coef
            else:
                const += coef * cells[c][0]
        if extra:
            row[len(hidden) + e] = -1.0
            e += 1
        if any(row.values()):
            for j, v in row.items():
                if v:
                    rows.append(len(b))
                    cols.append(j)
                    vals.append(v)
            b.append(-const)
        else:
            assert abs(const) < 1e-9 or extra, f"published figures disagree: {parent}"
    A = csr_matrix((vals, (rows, cols)), shape=(len(b), width))
    leaks = []
    for c in hidden:
        v = truth.get(c, 0)
        if not 0 < v < K:
            continue
        obj = [0.0] * width
        obj[col[c]] = 1.0
        lo = linprog(obj, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog([-x for x in obj], A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        low = lo.fun
        high = float("inf") if hi.status == 3 else -hi.fun
        if low > 1e-6 or high < K - 1e-6:
            leaks.append((c, v, low, high))
    return leaks


@pytest.mark.parametrize("seed", [7])
def test_no_hidden_small_count_can_be_narrowed_by_linear_programming(app, db, seed):
    from tracker.metrics.release import publish_due

    forces, units = _ids(db)
    reports = _random_reports(db, seed)
    publish_due(date(2026, 11, 10))
    db.session.commit()
    cells = _published()
    truth = _truth(reports, forces, units)
    # Published figures are the truth, and never 1..K−1.
    for c, (v, s) in cells.items():
        if s == "published":
            assert v == truth.get(c, 0), c
            assert not 0 < v < K, c
        else:
            assert v is None
            assert (s == "primary") == (0 < truth.get(c, 0) < K), c
    assert any(s == "primary" for _v, s in cells.values())
    assert _attack(cells, truth) == []


# --------------------------------------------------------------------------- the leaks


def _view(db, force="ARMY", **kw):
    from tracker.metrics.published import released_months
    from tracker.metrics.release import ALL
    from tracker.metrics.trends import View, commander_trends

    forces, _units = _ids(db)
    scope = ALL if force is None else f"force:{forces[force]}"
    months = tuple(released_months())
    if "months" in kw:
        wanted = kw.pop("months")
        months = tuple(m for m in months if m in wanted)
    return commander_trends(View(scope, kw.pop("grain", "month"), months, **kw))


def test_leak_1_time_ranges_no_longer_give_a_month_away(app, db):
    """Issue 7: killing reports "to 2026-06" = 11 and "to 2026-07" = 14
    gave July = 3. Now a range total is the sum of published months and says
    "at least" when one is hidden."""
    from tracker.metrics.release import publish_due

    for m, n in ((1, 12), (2, 11), (3, 14), (4, 10), (5, 13), (6, 11), (7, 3)):
        for _ in range(n):
            add_report(occurred_on=date(2026, m, 14), region="XV0101", categories=("killing",))
            add_report(occurred_on=date(2026, m, 14), region="XV0201", categories=("assault",))
    db.session.commit()
    publish_due(date(2026, 9, 1))
    db.session.commit()
    june = _view(db, category="killing", months=[date(2026, m, 1) for m in range(1, 7)])
    july = _view(db, category="killing", months=[date(2026, m, 1) for m in range(1, 8)])
    jt, lt = june.by_period.total, july.by_period.total
    assert jt.status == "published"
    assert july.by_period.items[-1].cell.status == "primary"
    assert lt.status == "at_least"
    if lt.value is not None and jt.value is not None:
        # Whatever differs between the two comes from published months only.
        published_diff = sum(i.cell.value for i in july.by_period.items if i.cell.exact) - \
            sum(i.cell.value for i in june.by_period.items if i.cell.exact)
        assert lt.value - jt.value == published_diff
        assert lt.value - jt.value != 3


def test_leak_2_total_minus_published_provinces_is_not_a_small_count(app, db):
    """Issue 7: 990 − 405 − 400 − 177 = 8 for Southern Coast. Now a
    province line with a hidden cell has at least two hidden figures, and
    none of them is labelled "fewer than 10" unless it is."""
    from tracker.metrics.release import publish_due

    for district, n in (("XV0302", 40), ("XV0201", 38), ("XV0101", 17), ("XV0402", 8)):
        for _ in range(n):
            add_report(occurred_on=date(2026, 5, 13), region=district)
    db.session.commit()
    publish_due(date(2026, 7, 1))
    db.session.commit()
    page = _view(db, months=[date(2026, 5, 1)])
    cells = {i.key: i.cell for i in page.by_region.items}
    assert page.by_region.total.value == 103 and page.by_region.total.exact
    assert cells["XV04"].status == "primary"
    hidden = [k for k, c in cells.items() if not c.exact]
    assert len(hidden) >= 2
    assert 103 - sum(c.value for c in cells.values() if c.exact) != 8
    for key, c in cells.items():
        if c.status == "primary":
            assert key == "XV04"


def test_leak_3_public_minus_commander_does_not_give_other_forces(app, db):
    """Issue 7: /transparency [2026-05, Northern Highlands] = 21 minus the
    commander's 12 gave 9 reports about other forces."""
    from tracker.metrics.release import publish_due
    from tracker.metrics.trends import transparency

    for _ in range(12):
        add_report(occurred_on=date(2026, 5, 13), region="XV0101")
    for _ in range(9):
        add_report(occurred_on=date(2026, 5, 13), region="XV0101", force="NAVY", unit="CG2")
    for _ in range(30):
        add_report(occurred_on=date(2026, 5, 13), region="XV0201")
    db.session.commit()
    publish_due(date(2026, 7, 1))
    db.session.commit()
    public = transparency()
    row = next(r for r in public.rows if r.month == date(2026, 5, 1))
    pub = dict(zip([c for c, _n in public.provinces], row.cells, strict=False))["XV01"]
    army = {i.key: i.cell for i in _view(db, months=[date(2026, 5, 1)]).by_region.items}["XV01"]
    assert not (pub.exact and army.exact), "their difference would give the navy's 9"


def test_a_release_is_frozen_and_a_late_report_waits_for_no_one(app, db):
    from tracker.metrics.models import Release
    from tracker.metrics.release import build_release, publish_due

    for _ in range(25):
        add_report(occurred_on=date(2026, 5, 13), region="XV0101")
    db.session.commit()
    assert [r.month for r in publish_due(date(2026, 6, 1))] == [date(2026, 5, 1)]
    db.session.commit()
    before = _view(db).by_period.total
    add_report(occurred_on=date(2026, 5, 14), region="XV0101")
    db.session.commit()
    assert publish_due(date(2026, 6, 2)) == []  # May is published: frozen
    assert _view(db).by_period.total == before
    with pytest.raises(ValueError):
        build_release(date(2026, 5, 1))
    # June's release comes when June closes (5 July: week 27 is July's).
    add_report(occurred_on=date(2026, 6, 10), region="XV0101")
    db.session.commit()
    assert publish_due(date(2026, 6, 30)) == []
    assert [r.month for r in publish_due(date(2026, 7, 1))] == [date(2026, 6, 1)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Release)) == 2


def test_harm_sums_of_few_or_dominated_reports_are_hidden(app, db):
    from tracker.metrics.release import publish_due

    for i in range(30):
        add_report(occurred_on=date(2026, 5, 13), region="XV0201", injured=1, detained=200 if i == 0 else 1)
    for _ in range(20):
        add_report(occurred_on=date(2026, 5, 13), region="XV0101", missing=0)
    add_report(occurred_on=date(2026, 5, 13), region="XV0101", missing=2)
    db.session.commit()
    publish_due(date(2026, 7, 1))
    db.session.commit()
    page = _view(db, months=[date(2026, 5, 1)])
    harm = {label: f for label, f in page.harm}
    assert harm["People injured"].value == 30 and harm["People injured"].exact
    assert harm["People missing"].status == "primary"  # one report
    assert harm["People detained"].status == "primary"  # two reports hold 201 of 229 (> 85 %)
    by_region = page.harm_by_region
    assert by_region["XV01"][3].status != "published"  # missing in Northern Highlands
