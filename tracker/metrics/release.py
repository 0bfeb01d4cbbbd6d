"""The protected statistics release (DESIGN §5, docs/statistics.md).

Every figure a commander, a supervisor or the public can reach is read from
``release_cell`` rows written here, once per closed *release month*, and
never changed afterwards.

Release month
    The ISO weeks whose Thursday falls in the calendar month (a 4-4-5-style
    calendar), plus the reports whose date is known to the month only. So a
    month is exactly the sum of its weeks and of its "no week" bucket: no
    week straddles two months. The month closes when its last week has
    ended and the calendar month has ended; ``publish_due`` builds every
    closed month that has no release yet.

Scopes
    ``force:<id>`` for each force (what its commanders see) and ``all``
    (every force: supervisors, and the public subset of it). Reports whose
    force is not known form ``force:0``, never published, inside ``all``.

Tables (one-dimensional breakdowns, no cross-tabulations)
    week and month: total, province, unit (forces only), severity;
    month only: district, category, outcome, harm, harm_province, duration;
    scope ``all``, month only: trust and safety n per province and district.

Protection (cell suppression over all tables of all scopes together)
    The builder writes down every additive relation between the cells
    (total = Σ provinces = Σ severities = Σ units; province = Σ its
    districts; month = Σ weeks + no-week bucket; ``all`` = Σ forces;
    resolved = Σ outcomes; harm total = Σ harm by province; trust n of a
    province = Σ its districts) and the inequalities (a category ≤ the
    total; Σ categories ≥ the total; resolved ≤ total). Primary suppression
    hides counts 1..K−1, harm sums from fewer than K reports or where the
    two largest reports make more than 85 % of the sum, and trust n below
    30. Secondary suppression then hides further cells until, for every
    hidden sensitive cell, the range an adversary can compute by linear
    programming over *all* published figures contains 0 and K (30 for a
    trust n; max(K, 1.5 × the sum) for a harm sum). Cells are checked one by
    one; hiding more only widens ranges, so a cell once protected stays so.
"""
from __future__ import annotations

import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import highspy
import numpy as np
import sqlalchemy as sa

from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.models import SEVERITY_ORDER
from tracker.metrics.anonymise import k_threshold, period_end, shift_period
from tracker.metrics.models import OUTCOME_FIELDS, PulseRollup, Release, ReleaseCell
from tracker.metrics.rollups import RESOLVED_STATES, RegionMap, days_between, grouped_by_report, report_query
from tracker.metrics.trust import MIN_N, trust_and_safety

HARM_KEYS = ("killed", "injured", "detained", "missing", "displaced")
HARM_COLUMNS = {"killed": "killed", "injured": "injured", "detained": "detained", "missing": "missing",
                "displaced": "displaced_households"}
OUTCOME_KEYS = OUTCOME_FIELDS  # the four outcomes, in their order (tracker.intake.statuses)
SEVERITY_KEYS = tuple(sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.get))  # critical first
WEEK_TABLES = ("total", "province", "unit", "severity")
MONTH_TABLES = WEEK_TABLES + ("district", "category", "outcome", "harm", "harm_province", "duration")
TRUST_TABLES = ("trust_province", "trust_district", "safety_province", "safety_district")
DOMINANCE_SHARE = 0.85  # (2, 85) dominance rule for harm sums
HARM_MARGIN = 1.5  # a hidden harm sum s must be able to lie anywhere in [0, max(K, 1.5 s)]
UNKNOWN = "-"  # key of "place not known"
ALL = "all"
NODATE = "nodate"  # the bucket of month-only dates (never published)
STATUSES = ("published", "primary", "secondary")
# Between scopes (all = Σ forces): treat the all-forces figure and a force's
# own figure alike, smallest first (the default), or hide the all-forces one
# first ("all_first"). On the demo data (bench/release_utility.py) the
# default keeps 96 % of reports in published public cells against 31 %,
# at some cost to the smaller forces' own tables.
ACROSS_ALL_FIRST = os.environ.get("TRACKER_RELEASE_ACROSS", "smallest") == "all_first"


def force_scope(force_id: int | None) -> str:
    return f"force:{force_id or 0}"


# --------------------------------------------------------------------------- the calendar


def month_weeks(month: date) -> list[date]:
    """Mondays of the ISO weeks whose Thursday falls in ``month``."""
    first = month.replace(day=1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    out, monday = [], thursday - timedelta(days=3)
    while (monday + timedelta(days=3)).month == first.month:
        out.append(monday)
        monday += timedelta(weeks=1)
    return out


def week_month(monday: date) -> date:
    """The release month an ISO week (its Monday) belongs to."""
    return (monday + timedelta(days=3)).replace(day=1)


def month_closes(month: date) -> date:
    """The first day on which ``month`` is complete (its last week and the
    calendar month both over)."""
    last_sunday = month_weeks(month)[-1] + timedelta(days=6)
    return max(last_sunday, period_end(month, "month")) + timedelta(days=1)


def last_closed_month(today: date) -> date:
    month = today.replace(day=1)
    while month_closes(month) > today:
        month = shift_period(month, "month", -1)
    return month


# --------------------------------------------------------------------------- collecting


@dataclass
class _Harm:
    values: list[int] = field(default_factory=list)

    def add(self, v: int) -> None:
        if v > 0:
            self.values.append(v)


@dataclass
class Collected:
    counts: dict = field(default_factory=lambda: defaultdict(int))  # (scope, table, grain, period, key) → n
    harm: dict = field(default_factory=lambda: defaultdict(_Harm))  # (scope, "harm"/"harm_province", key) → values
    durations: dict = field(default_factory=lambda: defaultdict(list))  # (scope, kind) → days
    cats_cover: dict = field(default_factory=lambda: defaultdict(lambda: True))  # scope → every report has a category
    scopes: set = field(default_factory=set)
    reports: int = 0


def _collect(month: date, regions: RegionMap, pcode: dict[int, str]) -> Collected:
    """Read the month's reports (consented to statistics) once."""
    from tracker.intake.models import Report

    weeks = month_weeks(month)
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    cal_first, cal_last = month, period_end(month, "month")
    q = report_query().where(
        sa.or_(
            sa.and_(Report.occurred_precision == "day", Report.occurred_on >= first, Report.occurred_on <= last),
            sa.and_(Report.occurred_precision != "day", Report.occurred_on >= cal_first,
                    Report.occurred_on <= cal_last),
        )
    )
    out = Collected()
    c = out.counts
    for r, cats in grouped_by_report(db.session.execute(q)):
        out.reports += 1
        province_id, district_id = regions.rollup_region(r.region_id)
        prov = pcode.get(province_id, UNKNOWN) if province_id else UNKNOWN
        dist = pcode.get(district_id, UNKNOWN) if district_id else UNKNOWN
        if r.occurred_precision == "day":
            periods = [("month", month), ("week", r.occurred_on - timedelta(days=r.occurred_on.weekday()))]
        else:
            periods = [("month", month), (NODATE, month)]
        resolved = r.state in RESOLVED_STATES and r.outcome is not None
        for scope in (ALL, force_scope(r.force_id)):
            out.scopes.add(scope)
            for grain, p in periods:
                c[(scope, "total", grain, p, "*")] += 1
                c[(scope, "province", grain, p, prov)] += 1
                c[(scope, "severity", grain, p, r.severity)] += 1
                if scope != ALL:
                    c[(scope, "unit", grain, p, str(r.unit_id or 0))] += 1
            c[(scope, "district", "month", month, dist)] += 1
            for cat in set(cats):
                c[(scope, "category", "month", month, cat)] += 1
            if not cats:
                out.cats_cover[scope] = False
            if resolved:
                c[(scope, "outcome", "month", month, "resolved")] += 1
                if r.outcome in OUTCOME_KEYS:
                    c[(scope, "outcome", "month", month, r.outcome)] += 1
            for name, col in HARM_COLUMNS.items():
                v = int(getattr(r, col) or 0)
                out.harm[(scope, "harm", name)].add(v)
                out.harm[(scope, "harm_province", f"{name}|{prov}")].add(v)
            for kind, end in (("triage", r.triaged_at), ("resolution", r.resolved_at)):
                days = days_between(r.created_at, end)
                if days is not None:
                    out.durations[(scope, kind)].append(days)
    return out


# --------------------------------------------------------------------------- the cell system


@dataclass
class _System:
    """Cells (index → key, value) and linear relations between them."""

    keys: list = field(default_factory=list)
    index: dict = field(default_factory=dict)
    value: list = field(default_factory=list)
    target: list = field(default_factory=list)  # None, or the upper end a hidden cell's range must reach
    forced: list = field(default_factory=list)  # never published
    detail: list = field(default_factory=list)
    eq: list = field(default_factory=list)  # [(idx, coef)] with Σ coef·y = 0
    across: set = field(default_factory=set)  # indices in ``eq`` of "all = Σ forces" relations
    ub: list = field(default_factory=list)  # [(idx, coef)] with Σ coef·y ≤ 0

    def add(self, key: tuple, value: int, target: int | None, *, forced: bool = False, detail=None) -> int:
        i = len(self.keys)
        self.keys.append(key)
        self.index[key] = i
        self.value.append(int(value))
        self.target.append(target)
        self.forced.append(forced)
        self.detail.append(detail)
        return i

    def relation(self, parent: tuple, children: list[tuple], *, across: bool = False) -> None:
        if parent not in self.index:
            return
        terms = [(self.index[parent], 1)] + [(self.index[c], -1) for c in children if c in self.index]
        if len(terms) > 1:
            if across:
                self.across.add(len(self.eq))
            self.eq.append(terms)


def _count_target(value: int, k: int) -> int | None:
    return k if 0 < value < k else None


def _harm_target(h: _Harm, k: int) -> int | None:
    s = sum(h.values)
    if s == 0:
        return None
    top2 = sum(sorted(h.values, reverse=True)[:2])
    if len(h.values) < k or top2 > DOMINANCE_SHARE * s:
        return max(k, math.ceil(HARM_MARGIN * s))
    return None


def _build_system(month: date, data: Collected, ref: dict, k: int, trust_rows: dict) -> _System:
    sysm = _System()
    weeks = month_weeks(month)
    provinces, districts, district_province = ref["provinces"], ref["districts"], ref["district_province"]
    scopes = [ALL] + [force_scope(f) for f in ref["forces"]]
    if "force:0" in data.scopes:
        scopes.append("force:0")
    c = data.counts

    def keys_for(scope: str, table: str) -> list[str]:
        if table == "total":
            return ["*"]
        if table == "province":
            return provinces
        if table == "district":
            return districts
        if table == "severity":
            return list(SEVERITY_KEYS)
        if table == "unit":
            return ref["units"].get(scope, []) + ["0"]
        if table == "category":
            return ref["categories"]
        if table == "outcome":
            return ["resolved", *OUTCOME_KEYS]
        return []

    periods = [("month", month)] + [("week", w) for w in weeks] + [(NODATE, month)]
    for scope in scopes:
        forced_scope = scope == "force:0"
        for grain, p in periods:
            tables = MONTH_TABLES if grain == "month" else WEEK_TABLES
            for table in tables:
                if table == "unit" and scope == ALL:
                    continue
                for key in keys_for(scope, table):
                    v = c.get((scope, table, grain, p, key), 0)
                    sysm.add((scope, table, grain, p, key), v, _count_target(v, k),
                             forced=forced_scope or grain == NODATE)
        for table in ("harm", "harm_province"):
            keys = HARM_KEYS if table == "harm" else [f"{h}|{pv}" for h in HARM_KEYS for pv in provinces]
            for key in keys:
                h = data.harm.get((scope, table, key), _Harm())
                sysm.add((scope, table, "month", month, key), sum(h.values), _harm_target(h, k), forced=forced_scope)
        for kind in ("triage", "resolution"):
            days = sorted(data.durations.get((scope, kind), []))
            median = days[(len(days) - 1) // 2] if days else None
            # Not additive: published when at least K cases give it.
            sysm.add((scope, "duration", "month", month, kind), len(days), None, forced=forced_scope,
                     detail={"median_days": median, "n_ok": len(days) >= k})
    for table, (key, sums) in ((t, kv) for t, rows in trust_rows.items() for kv in rows.items()):
        n = sums["n"]
        sysm.add((ALL, table, "month", month, key), n, MIN_N if 0 < n < MIN_N else None, detail=sums["estimate"])

    # Relations.
    for scope in scopes:
        for grain, p in periods:
            tot = (scope, "total", grain, p, "*")
            sysm.relation(tot, [(scope, "province", grain, p, pv) for pv in provinces])
            sysm.relation(tot, [(scope, "severity", grain, p, s) for s in SEVERITY_KEYS])
            if scope != ALL:
                sysm.relation(tot, [(scope, "unit", grain, p, u) for u in keys_for(scope, "unit")])
        for pv in provinces:
            sysm.relation((scope, "province", "month", month, pv),
                          [(scope, "district", "month", month, d) for d in districts if district_province[d] == pv])
        for table in WEEK_TABLES:
            if table == "unit" and scope == ALL:
                continue
            for key in keys_for(scope, table):
                sysm.relation((scope, table, "month", month, key),
                              [(scope, table, "week", w, key) for w in weeks] + [(scope, table, NODATE, month, key)])
        sysm.relation((scope, "outcome", "month", month, "resolved"),
                      [(scope, "outcome", "month", month, o) for o in OUTCOME_KEYS])
        for h in HARM_KEYS:
            sysm.relation((scope, "harm", "month", month, h),
                          [(scope, "harm_province", "month", month, f"{h}|{pv}") for pv in provinces])
        # Inequalities: a category or the resolved count never exceeds the total.
        tot = sysm.index[(scope, "total", "month", month, "*")]
        for cat in ref["categories"]:
            sysm.ub.append([(sysm.index[(scope, "category", "month", month, cat)], 1), (tot, -1)])
        sysm.ub.append([(sysm.index[(scope, "outcome", "month", month, "resolved")], 1), (tot, -1)])
        if data.cats_cover[scope]:
            sysm.ub.append([(tot, 1)] + [(sysm.index[(scope, "category", "month", month, cat)], -1)
                                         for cat in ref["categories"]])
    # Every force together makes "all".
    forces = [s for s in scopes if s != ALL]
    for key in list(sysm.index):
        scope, table, grain, p, k_ = key
        if scope == ALL and table not in TRUST_TABLES and table != "duration":
            sysm.relation(key, [(f, table, grain, p, k_) for f in forces], across=True)
    for metric in ("trust", "safety"):
        for pv in provinces:
            sysm.relation((ALL, f"{metric}_province", "month", month, pv),
                          [(ALL, f"{metric}_district", "month", month, d) for d in districts
                           if district_province[d] == pv])
    return sysm


# --------------------------------------------------------------------------- suppression


class _Protector:
    """Secondary suppression driven by the adversary's linear programme
    (HiGHS: one model per connected group of hidden cells, re-solved with a
    new objective for each cell to check)."""

    def __init__(self, sysm: _System) -> None:
        self.s = sysm
        n = len(sysm.keys)
        self.hidden = [sysm.forced[i] or sysm.target[i] is not None for i in range(n)]
        self.rels = [(terms, "eq") for terms in sysm.eq] + [(terms, "ub") for terms in sysm.ub]
        self.rel_of: list[list[int]] = [[] for _ in range(n)]
        for r, (terms, _kind) in enumerate(self.rels):
            for i, _c in terms:
                self.rel_of[i].append(r)
        self.lp_solves = 0
        # What a hidden cell's label tells the reader: a primary count or
        # trust n is "fewer than K" (1..K−1); sums of people and cells hidden
        # to protect others say nothing. The adversary's model has these
        # bounds, and a primary cell must still reach both ends of them
        # (``need_low``/``need_high``, relaxed only to what the labels alone
        # imply, see ``_label_range``).
        self.lo = np.zeros(n)
        self.hi = np.full(n, highspy.kHighsInf)
        self.need_low = [0.0] * n
        self.need_high = [float(t) if t is not None else 0.0 for t in sysm.target]
        for i, t in enumerate(sysm.target):
            if t is not None and sysm.keys[i][1] not in ("harm", "harm_province"):
                self.lo[i], self.hi[i] = 1.0, float(t - 1)
                self.need_low[i], self.need_high[i] = 1.0, float(t - 1)
        self._relaxed: set[int] = set()
        self._free: tuple | None = None

    def _label_range(self, x: int) -> tuple[float, float]:
        """[min, max] of ``x`` given only the relations and the labels
        (every cell hidden, primaries in 1..K−1): what the page discloses by
        design, whatever else is published."""
        if self._free is None:
            saved = self.hidden
            self.hidden = [True] * len(saved)
            comp = list(range(len(saved)))
            self._free = self._model(comp)
            self.hidden = saved
        h, col = self._free
        h.changeColCost(col[x], 1.0)
        low, high = self._solve(h, highspy.ObjSense.kMinimize), self._solve(h, highspy.ObjSense.kMaximize)
        h.changeColCost(col[x], 0.0)
        return low, high

    def _relax(self, x: int) -> None:
        """Lower x's needs to what the labels alone already imply."""
        if x in self._relaxed:
            return
        self._relaxed.add(x)
        low, high = self._label_range(x)
        self.need_low[x] = max(self.need_low[x], low)
        self.need_high[x] = min(self.need_high[x], high)

    def _hide_around(self, x: int, comp: list[int]) -> bool:
        """No single complement helps: hide every published cell in a
        relation with x (else with its group). Suppression can always
        succeed this way: with everything hidden only the labels remain."""
        for cells in ([x], comp):
            opened = {j for c in cells for r in self.rel_of[c] for j, _c in self.rels[r][0]
                      if not self.hidden[j] and not self.s.forced[j]}
            if opened:
                for j in opened:
                    self.hidden[j] = True
                return True
        return False

    def _components(self) -> list[list[int]]:
        """Hidden cells grouped by the relations that link them."""
        seen: set[int] = set()
        out = []
        for start in range(len(self.hidden)):
            if not self.hidden[start] or start in seen:
                continue
            comp, todo = [start], [start]
            seen.add(start)
            while todo:
                i = todo.pop()
                for r in self.rel_of[i]:
                    for j, _c in self.rels[r][0]:
                        if self.hidden[j] and j not in seen:
                            seen.add(j)
                            comp.append(j)
                            todo.append(j)
            out.append(sorted(comp))
        return out

    def _model(self, comp: list[int]) -> tuple[highspy.Highs, dict[int, int]]:
        """The adversary's system on the hidden cells of ``comp``: every
        relation touching them, published cells replaced by their values."""
        col = {j: n for n, j in enumerate(comp)}
        rels = sorted({r for j in comp for r in self.rel_of[j]})
        start, index, value, lower, upper = [0], [], [], [], []
        for r in rels:
            terms, kind = self.rels[r]
            const = 0
            for j, coef in terms:
                if self.hidden[j]:
                    index.append(col[j])
                    value.append(float(coef))
                else:
                    const += coef * self.s.value[j]
            start.append(len(index))
            lower.append(-highspy.kHighsInf if kind == "ub" else float(-const))
            upper.append(float(-const))
        lp = highspy.HighsLp()
        lp.num_col_ = len(comp)
        lp.num_row_ = len(rels)
        lp.col_cost_ = np.zeros(len(comp))
        lp.col_lower_ = self.lo[comp].astype(float)
        lp.col_upper_ = self.hi[comp].astype(float)
        lp.row_lower_ = np.array(lower, dtype=float)
        lp.row_upper_ = np.array(upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(lp)
        return h, col

    def _solve(self, h: highspy.Highs, sense) -> float:
        self.lp_solves += 1
        h.changeObjectiveSense(sense)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return h.getInfo().objective_function_value
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return math.inf if sense == highspy.ObjSense.kMaximize else -math.inf
        raise RuntimeError(f"release protection: LP {status}")

    def feasible_range(self, x: int) -> tuple[float, float]:
        """[min, max] of cell ``x`` over every table consistent with the
        published figures (for tests and checks)."""
        comp = next(c for c in self._components() if x in c)
        h, col = self._model(comp)
        h.changeColCost(col[x], 1.0)
        return self._solve(h, highspy.ObjSense.kMinimize), self._solve(h, highspy.ObjSense.kMaximize)

    # Choosing a complement.
    def _candidates(self, r: int, x: int) -> list[int]:
        """Published cells of relation ``r`` to hide for ``x``: siblings
        before the total (non-zero, smallest first); see ACROSS_ALL_FIRST
        for the relations between scopes."""
        terms = dict(self.rels[r][0])
        sign = terms.get(x)
        across = ACROSS_ALL_FIRST and r in self.s.across
        out = []
        for j, coef in terms.items():
            if self.hidden[j] or self.s.forced[j]:
                continue
            sibling = sign is not None and coef == sign
            # A zero only helps a hidden figure go down, not up: non-zero first.
            out.append((self.s.value[j] == 0, (0 if sibling != across else 1), self.s.value[j], j))
        out.sort()
        return [t[-1] for t in out]

    def _binding_complement(self, h: highspy.Highs, comp: list[int], x: int, sense) -> int | None:
        """A published cell of the relation that binds x hardest at its
        optimum (largest dual value): hiding it gives x room on the failing
        side. Among its cells, a sibling of x's relation before the total,
        non-zero before zero, the smallest large enough first."""
        self._solve(h, sense)
        duals = h.getSolution().row_dual
        rels = sorted({r for j in comp for r in self.rel_of[j]})
        order = sorted(range(len(rels)), key=lambda n: -abs(duals[n]))
        need = self.need_high[x] - self.s.value[x] if sense == highspy.ObjSense.kMaximize else 0
        for n in order:
            if abs(duals[n]) <= 1e-9:
                break
            r = rels[n]
            cand = [c for c, _coef in self.rels[r][0] if not self.hidden[c] and not self.s.forced[c]]
            if not cand:
                continue
            cand.sort(key=lambda c: (self.s.value[c] == 0, self.s.value[c] < need, self.s.value[c]))
            return cand[0]
        return None

    def _complement(self, x: int, comp: list[int]) -> int | None:
        """A published cell to hide next: first in a relation where a hidden
        cell of x's group is alone (it would be pinned), x's own relations
        first; else the smallest sibling of x large enough to give it room."""
        order = [x] + [j for j in comp if j != x]
        for j in order:
            if j != x and self.s.target[j] is None:
                continue  # a pinned 0 or large secondary discloses no small count
            for r in self.rel_of[j]:
                terms, kind = self.rels[r]
                if kind == "eq" and sum(1 for i, _c in terms if self.hidden[i]) == 1:
                    cand = self._candidates(r, j)
                    if cand:
                        return cand[0]
        need = self.need_high[x] - self.s.value[x]
        for j in order:
            best = None
            for r in self.rel_of[j]:
                if self.rels[r][1] != "eq":
                    continue
                cand = self._candidates(r, j)
                big = [c for c in cand if self.s.value[c] >= need]
                pick = (big or cand or [None])[0]
                if pick is not None:
                    key = (self.s.value[pick] < need, self.s.value[pick])
                    if best is None or key < best[0]:
                        best = (key, pick)
            if best is not None:
                return best[1]
        return None

    def _nested(self) -> None:
        """A published figure F that contains a primary cell G ("fewer than
        K", so G ≤ K−1) pins the rest F − G to at least F − K + 1: when that
        rest is itself 1..K−1 it could never be 0 (nor K). Such F are hidden
        (F: the parents of G through the relations, transitively, and the
        kinds of harm, which may contain a scope's whole total)."""
        s = self.s
        parents: list[list[int]] = [[] for _ in s.keys]
        for terms in s.eq:
            for j, _c in terms[1:]:
                parents[j].append(terms[0][0])
        for i, (scope, table, grain, _p, _key) in enumerate(s.keys):
            if table == "total" and grain == "month":
                parents[i] += [j for j, kk in enumerate(s.keys) if kk[0] == scope and kk[1] == "category"]
        for g in range(len(s.keys)):
            if not (self.hi[g] < highspy.kHighsInf and s.target[g] is not None):
                continue
            seen, todo = {g}, [g]
            while todo:
                for a in parents[todo.pop()]:
                    if a in seen:
                        continue
                    seen.add(a)
                    todo.append(a)
                    if not self.hidden[a] and 0 < s.value[a] - s.value[g] < s.target[g]:
                        self.hidden[a] = True

    def _pairs(self) -> None:
        """The classic first step, without linear programming: no equality
        holds exactly one hidden figure that is small or was hidden to
        protect one (it would be pinned). Repeated until it holds; the LP
        checks then add what this misses."""
        s = self.s
        changed = True
        while changed:
            changed = False
            for r, (terms, kind) in enumerate(self.rels):
                if kind != "eq":
                    continue
                hidden = [i for i, _c in terms if self.hidden[i]]
                if len(hidden) != 1:
                    continue
                x = hidden[0]
                if s.forced[x] and s.target[x] is None:
                    continue  # never published and not small: nothing to protect
                cand = self._candidates(r, x)
                if cand:
                    self.hidden[cand[0]] = True
                    changed = True
            # Room to grow: a small child under a published total can only
            # reach its target if hidden siblings can give way that much.
            for r, (terms, kind) in enumerate(self.rels):
                if kind != "eq" or self.hidden[terms[0][0]]:
                    continue
                kids = terms[1:]
                for x, _c in kids:
                    if not self.hidden[x] or s.target[x] is None:
                        continue
                    need = s.target[x] - s.value[x]
                    room = sum(s.value[j] for j, _c in kids if j != x and self.hidden[j])
                    if room >= need:
                        continue
                    open_ = sorted((s.value[j], j) for j, _c in kids
                                   if not self.hidden[j] and not s.forced[j] and s.value[j] > 0)
                    enough = [j for v, j in open_ if v >= need - room]
                    if ACROSS_ALL_FIRST and r in s.across and not s.forced[terms[0][0]]:
                        pick = terms[0][0]  # the all-forces figure, not another force's own
                    else:
                        pick = enough[0] if enough else (open_[-1][1] if open_ else terms[0][0])
                    if not s.forced[pick]:
                        self.hidden[pick] = True
                        changed = True

    def _mark(self, h: highspy.Highs, comp: list[int], low_ok: set, high_ok: set) -> None:
        """Any feasible point reached is a witness for every cell at 0 in it
        (it can be 0) or at its target or above (it can be that large)."""
        values = h.getSolution().col_value
        for n, j in enumerate(comp):
            if self.s.target[j] is None:
                continue
            if values[n] <= self.need_low[j] + 1e-6:
                low_ok.add(j)
            if values[n] >= self.need_high[j] - 1e-6:
                high_ok.add(j)

    def run(self) -> None:
        """Hide complements until every hidden sensitive cell can be both 0
        and at least its target. Witness points found on the way (a
        solution where a cell is 0, or large) stay valid when more cells are
        hidden, so they are kept; each group is first pushed up and down as
        a whole, then cell by cell for those still without a witness."""
        s = self.s
        self._nested()
        self._pairs()
        low_ok: set[int] = set()
        high_ok: set[int] = set()
        while True:
            pending = {i for i in range(len(s.keys)) if self.hidden[i] and s.target[i] is not None
                       and not (i in low_ok and i in high_ok)}
            if not pending:
                return
            for comp in self._components():
                members = set(comp)
                if any(self.hidden[j] and j not in members
                       for c in comp for r in self.rel_of[c] for j, _c in self.rels[r][0]):
                    continue  # grew into another group on this pass: rebuilt on the next
                todo = sorted((x for x in comp if x in pending), key=lambda i: s.value[i])
                if not todo:
                    continue
                h, col = self._model(comp)
                for x in todo:
                    h.changeColCost(col[x], 1.0)
                # Witnesses for the whole group: push every pending cell up
                # (inside a box, so that the optimum exists) and then down.
                n = len(comp)
                box = float(max(s.value[j] for j in comp) + max(s.target[x] for x in todo)) * 4 + 10
                cols = np.arange(n, dtype=np.int32)
                h.changeColsBounds(n, cols, self.lo[comp], np.minimum(self.hi[comp], box))
                for sense in (highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize):
                    if self._solve(h, sense) not in (math.inf, -math.inf):
                        self._mark(h, comp, low_ok, high_ok)
                h.changeColsBounds(n, cols, self.lo[comp], self.hi[comp])
                for x in todo:
                    h.changeColCost(col[x], 0.0)
                last = None
                for x in todo:
                    if x in low_ok and x in high_ok:
                        continue
                    if last is not None:
                        h.changeColCost(col[last], 0.0)
                    h.changeColCost(col[x], 1.0)
                    last = x
                    for _attempt in range(2):
                        if x not in low_ok and self._solve(h, highspy.ObjSense.kMinimize) <= self.need_low[x] + 1e-6:
                            self._mark(h, comp, low_ok, high_ok)
                            low_ok.add(x)
                        if x not in high_ok:
                            high = self._solve(h, highspy.ObjSense.kMaximize)
                            if high == math.inf:
                                high_ok.add(x)
                            elif high >= self.need_high[x] - 1e-6:
                                self._mark(h, comp, low_ok, high_ok)
                                high_ok.add(x)
                        if (x in low_ok and x in high_ok) or x in self._relaxed:
                            break
                        self._relax(x)
                    if x in low_ok and x in high_ok:
                        continue
                    sense = highspy.ObjSense.kMinimize if x not in low_ok else highspy.ObjSense.kMaximize
                    j = self._binding_complement(h, comp, x, sense)
                    if j is None:
                        j = self._complement(x, comp)
                    if j is not None:
                        self.hidden[j] = True
                    elif not self._hide_around(x, comp):
                        # Every cell linked to x is hidden: only the labels
                        # remain, and x ranges as they allow.
                        low_ok.add(x)
                        high_ok.add(x)
                    break  # this group changed: rebuild its model on the next pass


# --------------------------------------------------------------------------- building


def _reference() -> dict:
    from tracker.reference.models import CATEGORIES, Force, Region, Unit

    rows = db.session.execute(sa.select(Region.id, Region.pcode, Region.level, Region.parent_id)).all()
    pcode = {r.id: r.pcode for r in rows}
    parent = {r.id: r.parent_id for r in rows}
    provinces = sorted(r.pcode for r in rows if r.level == 1) + [UNKNOWN]
    districts = sorted(r.pcode for r in rows if r.level == 2)
    district_province = {}
    for r in rows:
        if r.level == 2:
            district_province[r.pcode] = pcode.get(parent[r.id], UNKNOWN)
    # A report located only to a province counts under the province's own
    # code in the district table.
    for r in rows:
        if r.level == 1:
            districts.append(r.pcode)
            district_province[r.pcode] = r.pcode
    districts.append(UNKNOWN)
    district_province[UNKNOWN] = UNKNOWN
    forces = sorted(db.session.scalars(sa.select(Force.id)).all())
    units: dict[str, list[str]] = defaultdict(list)
    for uid, fid in db.session.execute(sa.select(Unit.id, Unit.force_id).order_by(Unit.id)):
        units[force_scope(fid)].append(str(uid))
    return {"pcode": pcode, "provinces": provinces, "districts": districts, "district_province": district_province,
            "forces": forces, "units": units, "categories": sorted(CATEGORIES)}


def _trust_rows(month: date, ref: dict) -> dict:
    """n and estimates per province and district from the pulse rollup
    (answers of the calendar month; trust is not linked to report counts)."""
    t = PulseRollup
    names = ("n_trust", "sum_trust", "sumsq_trust", "n_safety", "sum_safety", "sumsq_safety")
    out: dict = {table: {} for table in TRUST_TABLES}
    for level, col in (("province", t.province_id), ("district", t.region_id)):
        stmt = sa.select(col, *[sa.func.sum(getattr(t, n)) for n in names]).where(t.period_start == month).group_by(col)
        for row in db.session.execute(stmt):
            sums = {n: int(row[i + 1] or 0) for i, n in enumerate(names)}
            key = ref["pcode"].get(row[0], UNKNOWN) if row[0] else UNKNOWN
            if level == "district" and key not in ref["district_province"]:
                continue
            if level == "province" and key not in ref["provinces"]:
                continue
            trust, safety = trust_and_safety(sums, min_n=2)
            for metric, est in (("trust", trust), ("safety", safety)):
                if est.n:
                    out[f"{metric}_{level}"][key] = {"n": est.n, "estimate": {
                        "mean": est.mean, "low": est.low, "high": est.high, "se": est.se,
                        "low_confidence": est.status == "low_confidence"}}
    # The district rows must add up to the province rows: give every listed
    # district a row (0 when nobody answered).
    for metric in ("trust", "safety"):
        for d in ref["districts"]:
            out[f"{metric}_district"].setdefault(d, {"n": 0, "estimate": None})
        for pv in ref["provinces"]:
            out[f"{metric}_province"].setdefault(pv, {"n": 0, "estimate": None})
    return out


def build_release(month: date, *, now: datetime | None = None) -> Release:
    """Build, protect and store the release of ``month`` (a first day).
    Refuses a month that already has one: a release is frozen."""
    month = month.replace(day=1)
    if db.session.scalar(sa.select(Release.id).where(Release.month == month)) is not None:
        raise ValueError(f"release {month:%Y-%m} already published")
    k = k_threshold()
    ref = _reference()
    data = _collect(month, RegionMap(), ref["pcode"])
    sysm = _build_system(month, data, ref, k, _trust_rows(month, ref))
    prot = _Protector(sysm)
    prot.run()
    release = Release(month=month, k=k, reports=data.reports, published_at=now or utcnow())
    db.session.add(release)
    db.session.flush()
    rows = []
    for i, key in enumerate(sysm.keys):
        scope, table, grain, period, ckey = key
        if sysm.forced[i]:
            continue  # force not known, month-only dates: never published
        value = sysm.value[i]
        detail = sysm.detail[i]
        if table == "duration":
            status = "published" if detail["n_ok"] else "primary"
            value, detail = None, ({"median_days": detail["median_days"]} if detail["n_ok"] else None)
        elif prot.hidden[i]:
            status = "primary" if sysm.target[i] is not None else "secondary"
            value, detail = None, None
        else:
            status = "published"
        rows.append({"release_id": release.id, "scope": scope, "tbl": table, "grain": grain, "period": period,
                     "key": ckey, "value": value, "status": status, "detail": detail})
    db.session.execute(sa.insert(ReleaseCell), rows)
    return release


def due_months(today: date) -> list[date]:
    """Closed months without a release, from the first month with a report."""
    from tracker.intake.models import Report

    earliest = db.session.scalar(sa.select(sa.func.min(Report.occurred_on)))
    if earliest is None:
        return []
    done = set(db.session.scalars(sa.select(Release.month)).all())
    month, last = week_month(earliest - timedelta(days=earliest.weekday())), last_closed_month(today)
    month = min(month, earliest.replace(day=1))
    out = []
    while month <= last:
        if month not in done:
            out.append(month)
        month = shift_period(month, "month", 1)
    return out


def publish_due(today: date | None = None, progress=None, *, now: datetime | None = None) -> list[Release]:
    """Build every closed month that has no release yet (run from cron).
    ``now`` (default: the clock) is the publication time the pages show."""
    today = today or (now or utcnow()).date()
    out = []
    for month in due_months(today):
        out.append(build_release(month, now=now))
        if progress:
            progress(month)
    return out
