"""The adversary of DESIGN §5, as an oracle independent of tracker.metrics.

Input: the raw reports (read here with plain SQL, never through the code
under audit) and every figure a user could collect (see
``tests/metrics/collect.py``), each with its *meaning*: the predicate that
says which reports it claims to count (or whose harm it sums), and what its
label says (an exact value, "fewer than K", hidden, "at least X").

Model (integer programming, scipy.optimize.milp / HiGHS; the explanations
of a leak come from the LP relaxation's duals, scipy.optimize.linprog):

* atoms: the classes of reports that no collected predicate tells apart
  (same membership in every figure). Variables: one non-negative integer
  count per atom. The rows behind the atoms are the real reports plus
  "phantoms" (each real report with one attribute changed: force/unit,
  district, severity, outcome, resolved, a victim flag, a month-only date,
  one more or another kind of harm), true count 0: reports the adversary
  cannot rule out a priori. Combinations two changes away from every real
  report are not variables, which credits the adversary with some
  knowledge of which combinations occur (stronger than a real reader: a
  pass is conservative, a narrowed upper bound may be partly due to it);
* constraints: every published count (equality), every label that is true
  ("fewer than K" → 1..K−1, "at least X" → ≥ X). A label that is false in
  the data ("fewer than K" on a cell of 177) is not given to the adversary
  (it would make the system infeasible) but reported as a misleading label;
* targets: every count that is 1..K−1 in truth and not published: hidden
  cells, atoms, and differences F − G of nested figures (a range minus a
  shorter one, a province minus its listed districts, the public's
  province-month minus one force's);
* a target LEAKS if no integer solution gives it 0, or none gives it ≥ K
  (the adversary proves it is in 1..K−1, or non-zero and below K).

Harm sums (killed, injured, detained, missing, displaced) are a second LP
per field (non-negative reals per atom, published sums as equalities): a
target group of 1..K−1 reports whose harm sum has a positive lower bound
leaks that sum; a published sum drawn from 1..K−1 reports fails directly.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np
import sqlalchemy as sa
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

HARM = ("killed", "injured", "detained", "missing", "displaced")
VICTIMS = ("children", "women", "elderly", "disability")
RESOLVED = ("resolved", "closed")


# --------------------------------------------------------------------------- raw reports


def iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def release_month(d: date, precision: str) -> str:
    """docs/statistics.md: a month is the ISO weeks whose Thursday falls in
    it, plus the reports that give only that month."""
    if precision == "day":
        d = d + timedelta(days=3 - d.weekday())
    return f"{d.year}-{d.month:02d}"


def load_reports(session) -> list[dict]:
    """Every report that consented to be counted, as plain attributes, read
    with SQL from the raw tables (report, report_category, case, region,
    force, unit): never from the rollups or anything in tracker.metrics."""
    regions = {r.id: (r.pcode, r.parent_id, r.level) for r in session.execute(sa.text(
        "SELECT id, pcode, parent_id, level FROM region"))}

    def ancestor(rid, level):
        while rid is not None and regions[rid][2] > level:
            rid = regions[rid][1]
        return regions[rid][0] if rid is not None and regions[rid][2] == level else ""

    forces = dict(session.execute(sa.text("SELECT id, code FROM force")).all())
    units = dict(session.execute(sa.text("SELECT id, code FROM unit")).all())
    cats: dict[int, list[str]] = {}
    for rid, code in session.execute(sa.text("SELECT report_id, category FROM report_category")):
        cats.setdefault(rid, []).append(code)
    rows = session.execute(sa.text(
        'SELECT r.id, r.occurred_on, r.occurred_precision, r.region_id, r.force_id, r.unit_id, r.severity, '
        'r.killed, r.injured, r.detained, r.missing, r.displaced_households, r.victims_children, r.victims_women, '
        'r.victims_elderly, r.victims_disability, c.state, c.outcome '
        'FROM report r LEFT JOIN "case" c ON c.id = r.case_id WHERE r.consent_statistics = :yes ORDER BY r.id'
    ), {"yes": True})
    out = []
    for r in rows:
        day = r.occurred_on if isinstance(r.occurred_on, date) else date.fromisoformat(str(r.occurred_on))
        out.append({
            "id": r.id,
            "force": forces.get(r.force_id, ""),
            "unit": units.get(r.unit_id, ""),
            "province": ancestor(r.region_id, 1),
            "district": ancestor(r.region_id, 2),
            "month": f"{day.year}-{day.month:02d}",
            "rmonth": release_month(day, r.occurred_precision),
            "resolved": "yes" if r.state in RESOLVED else "no",
            "week": iso_week(day) if r.occurred_precision == "day" else "",
            "severity": r.severity,
            "categories": sorted(cats.get(r.id, [])),
            "outcome": r.outcome if r.state in RESOLVED and r.outcome else "",
            "v_children": "yes" if r.victims_children else "no",
            "v_women": "yes" if r.victims_women else "no",
            "v_elderly": "yes" if r.victims_elderly else "no",
            "v_disability": "yes" if r.victims_disability else "no",
            "killed": int(r.killed or 0),
            "injured": int(r.injured or 0),
            "detained": int(r.detained or 0),
            "missing": int(r.missing or 0),
            "displaced": int(r.displaced_households or 0),
        })
    return out


# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One collected figure. ``pred``: attribute → allowed values (a report
    matches when every attribute is allowed; ``categories`` matches when
    the report names one of them). ``measure``: "reports" or a harm field.
    ``label``: "exact" (value given), "fewer" (the page says fewer than K),
    "hidden" (hidden to protect others / not shown), "atleast" (value is a
    lower bound)."""

    src: str
    pred: dict
    measure: str = "reports"
    value: int | None = None
    label: str = "exact"

    def key(self) -> tuple:
        return (self.measure, tuple(sorted((a, tuple(sorted(v))) for a, v in self.pred.items())))


def matches(pred: dict, rep: dict) -> bool:
    for attr, allowed in pred.items():
        if attr == "categories":
            if not set(rep["categories"]) & set(allowed):
                return False
        elif rep[attr] not in allowed:
            return False
    return True


def _open(path, mode):
    return gzip.open(path, mode + "t", encoding="utf-8") if str(path).endswith(".gz") else open(path, mode, encoding="utf-8")


def dump(path, reports: list[dict], figures: list[Figure], k: int, note: str = "") -> None:
    """Write a collected figure set (gzip if the name ends in .gz)."""
    with _open(path, "w") as fh:
        json.dump({"note": note, "k": k, "reports": reports, "figures": [asdict(f) for f in figures]}, fh,
                  sort_keys=True, separators=(",", ":"))
        fh.write("\n")


def load(path) -> tuple[list[dict], list[Figure], int]:
    with _open(path, "r") as fh:
        data = json.load(fh)
    for r in data["reports"]:  # captured before these attributes existed
        r.setdefault("rmonth", r["month"])
        r.setdefault("resolved", "yes" if r["outcome"] else "no")
    return data["reports"], [Figure(**f) for f in data["figures"]], data["k"]


ATTRS = ("force", "unit", "province", "district", "month", "rmonth", "week", "severity", "outcome", "resolved",
         "v_children", "v_women", "v_elderly", "v_disability")


def membership(preds: list[dict], rows: list[dict]) -> np.ndarray:
    """preds × rows: does the row match the predicate (vectorised)."""
    codes = {}
    for a in ATTRS:
        vocab: dict = {}
        codes[a] = (vocab, np.array([vocab.setdefault(r[a], len(vocab)) for r in rows], dtype=np.int64))
    cat_vocab: dict = {}
    for r in rows:
        for c in r["categories"]:
            cat_vocab.setdefault(c, len(cat_vocab))
    cats = np.zeros((len(rows), max(1, len(cat_vocab))), dtype=bool)
    for i, r in enumerate(rows):
        for c in r["categories"]:
            cats[i, cat_vocab[c]] = True
    out = np.ones((len(preds), len(rows)), dtype=bool)
    for i, pred in enumerate(preds):
        m = out[i]
        for attr, allowed in pred.items():
            if attr == "categories":
                cols = [cat_vocab[c] for c in allowed if c in cat_vocab]
                m &= cats[:, cols].any(axis=1) if cols else False
            else:
                vocab, arr = codes[attr]
                m &= np.isin(arr, [vocab[v] for v in allowed if v in vocab])
    return out


def phantoms(reports: list[dict], figures: list[Figure]) -> list[dict]:
    """Reports that do not exist but that the adversary cannot rule out a
    priori: each real report's attributes with one of them changed (another
    force, unit, district, severity, outcome, victim flag, a month-only date,
    or one more / another category). Their true count is 0; only the
    published figures can pin them to 0."""
    def vocab(attr):
        vals = {r[attr] for r in reports}
        for f in figures:
            vals.update(f.pred.get(attr, ()))
        return sorted(vals)

    categories = sorted({c for r in reports for c in r["categories"]}
                        | {c for f in figures for c in f.pred.get("categories", ())})
    units_of: dict[str, set] = {}
    for r in reports:
        units_of.setdefault(r["force"], {""}).add(r["unit"])
    province_of = {r["district"]: r["province"] for r in reports}
    variable = ("force", "unit", "province", "district", "month", "rmonth", "week", "severity", "outcome", "resolved",
                "v_children", "v_women", "v_elderly", "v_disability")
    seen = set()
    out = []

    def emit(base, **change):
        p = dict(base, **change)
        key = tuple(p[a] for a in variable) + (tuple(sorted(p["categories"])),)
        if key not in seen:
            seen.add(key)
            out.append(p)

    reps = {}
    for r in reports:
        reps.setdefault(tuple(r[a] for a in variable) + (tuple(r["categories"]),), r)
        seen.add(tuple(r[a] for a in variable) + (tuple(sorted(r["categories"])),))
    for r in reps.values():
        base = dict(r, **{h: 0 for h in HARM})
        base.pop("id", None)
        for c in categories:
            if c not in r["categories"]:
                emit(base, categories=sorted(set(r["categories"]) | {c}))
                emit(base, categories=[c])
        if r["week"]:
            emit(base, week="")
        for o in ("yes", "no"):
            emit(base, resolved=o)
        for force, units in units_of.items():
            for u in units:
                emit(base, force=force, unit=u)
        for sev in vocab("severity"):
            emit(base, severity=sev)
        for d, prov in province_of.items():
            emit(base, district=d, province=prov)
        for o in vocab("outcome"):
            emit(base, outcome=o)
        for v in ("v_children", "v_women", "v_elderly", "v_disability"):
            emit(base, **{v: "no" if r[v] == "yes" else "yes"})
    return out


# --------------------------------------------------------------------------- the audit


@dataclass
class Leak:
    kind: str  # "count", "harm:<field>", "published-small", "harm-small"
    target: str
    truth: int
    low: float | None = None
    high: float | None = None
    used: list = field(default_factory=list)  # [(coefficient, figure src, value)]
    reports: list = field(default_factory=list)  # ids of the real reports in the target

    def __str__(self) -> str:
        hi = "…" if self.high is None else f"{self.high:g}"
        rng = "" if self.low is None else f" adversary's range [{self.low:g}, {hi}]"
        used = "".join(f"\n      {c:+g} × {src} = {v}" for c, src, v in self.used[:12])
        return f"[{self.kind}] {self.target}: true {self.truth};{rng}{used}"


@dataclass
class Result:
    k: int
    atoms: int
    figures: int
    constraints: int
    targets: int
    leaks: list[Leak]
    mislabels: list[str]
    method: str = "milp (integer atoms); explanations from the LP relaxation's duals"

    def report(self, limit: int = 25) -> str:
        head = (f"K={self.k}: {self.figures} figures, {self.atoms} atoms, {self.constraints} constraints, "
                f"{self.targets} targets ({self.method}); {len(self.leaks)} leak(s), {len(self.mislabels)} "
                f"misleading label(s)")
        body = "\n".join(f"  {leak}" for leak in self.leaks[:limit])
        mis = "\n".join(f"  mislabel: {m}" for m in self.mislabels[:5])
        return "\n".join(x for x in (head, body, mis) if x)


def _describe(fig: Figure) -> str:
    return fig.src


def audit(reports: list[dict], figures: list[Figure], k: int, *, max_diff_targets: int = 20000,
          focus: list[dict] | None = None, max_leaks: int | None = 60, explain_limit: int = 20) -> Result:
    """Run the adversary over every figure; see the module docstring.

    ``focus``: only these predicates are targets (each must be a union
    of atoms). ``max_leaks``: stop after that many count leaks (a
    failing audit need not list thousands); ``explain_limit``: how many
    leaks get the figures that pin them (LP duals)."""
    # Deduplicate figures with the same meaning; keep every label (a figure
    # hidden on one page and published on another is published).
    by_key: dict[tuple, list[Figure]] = {}
    for f in figures:
        by_key.setdefault(f.key(), []).append(f)
    keys = list(by_key)
    rows = reports + phantoms(reports, figures)
    n = len(rows)
    member = membership([by_key[key][0].pred for key in keys], rows)
    real = np.zeros(n, dtype=bool)
    real[: len(reports)] = True

    # Atoms: rows (reports, and the phantom reports the adversary cannot
    # rule out) with the same membership in every figure.
    sig = np.packbits(member, axis=0).T
    _, atom_of = np.unique(sig, axis=0, return_inverse=True)
    atom_of = np.asarray(atom_of).reshape(-1)
    n_atoms = int(atom_of.max()) + 1
    truth = np.bincount(atom_of[real], minlength=n_atoms).astype(float)
    inc = np.zeros((len(keys), n_atoms))  # figure × atom incidence
    for i in range(len(keys)):
        inc[i, np.unique(atom_of[member[i]])] = 1.0
    member = member[:, real]
    atom_of_report = atom_of[real]
    harm_truth = {h: np.bincount(atom_of_report, weights=[r[h] for r in reports], minlength=n_atoms) for h in HARM}

    leaks: list[Leak] = []
    mislabels: list[str] = []
    count_rows: list[tuple[np.ndarray, float, float, str, float]] = []  # (row, lb, ub, src, value)
    harm_rows: dict[str, list[tuple[np.ndarray, float, str]]] = {h: [] for h in HARM}
    published_sets: set[bytes] = set()
    hidden_count: list[tuple[int, Figure]] = []
    labelled: list[np.ndarray] = []  # cells whose true label says 1..K−1
    for i, key in enumerate(keys):
        figs = by_key[key]
        measure = key[0]
        true_count = int(member[i].sum())
        exact = [f for f in figs if f.label == "exact" and f.value is not None]
        if measure == "reports":
            true_v = true_count
            if exact:
                v = exact[0].value
                if v != true_v:
                    mislabels.append(f"{exact[0].src} publishes {v}, the reports say {true_v}")
                count_rows.append((inc[i], v, v, exact[0].src, v))
                published_sets.add(inc[i].astype(bool).tobytes())
                if 0 < v < k:
                    leaks.append(Leak("published-small", exact[0].src, true_v))
                continue
            for f in figs:
                if f.label == "fewer":
                    if 0 < true_v < k:
                        count_rows.append((inc[i], 1, k - 1, f.src + " (label: fewer than K)", float("nan")))
                        labelled.append(inc[i].astype(bool))
                    else:
                        mislabels.append(f"{f.src} is labelled 'fewer than {k}' but counts {true_v} reports")
                elif f.label == "atleast" and f.value is not None:
                    if true_v >= f.value:
                        count_rows.append((inc[i], f.value, np.inf, f.src + f" (label: at least {f.value})", f.value))
                    else:
                        mislabels.append(f"{f.src} says at least {f.value} but counts {true_v}")
            hidden_count.append((i, figs[0]))
        else:
            true_v = float(harm_truth[measure] @ inc[i])
            if exact:
                v = exact[0].value
                if abs(v - true_v) > 1e-9:
                    mislabels.append(f"{exact[0].src} publishes {v}, the reports say {true_v:g}")
                harm_rows[measure].append((inc[i], v, exact[0].src))
                if 0 < true_count < k and v > 0:
                    leaks.append(Leak("harm-small", f"{exact[0].src}: a sum of {v} drawn from {true_count} reports",
                                      true_count))

    # Targets: hidden figures, atoms, nested differences — truth 1..K−1,
    # not themselves published.
    targets: dict[bytes, tuple[np.ndarray, str]] = {}

    def add_target(vec: np.ndarray, desc: str) -> None:
        t = float(vec @ truth)
        if not 0 < t < k:
            return
        b = vec.astype(bool).tobytes()
        if b in published_sets or b in targets:
            return
        targets[b] = (vec, desc)

    if focus is not None:
        fm = membership(focus, rows)
        for pred, hit in zip(focus, fm, strict=True):
            inside = np.unique(atom_of[hit])
            outside = np.unique(atom_of[~hit])
            assert not set(inside) & set(outside), f"{pred} is not a union of atoms"
            vec = np.zeros(n_atoms)
            vec[inside] = 1.0
            add_target(vec, f"focus: {pred}")
        hidden_count = []
    for i, fig in hidden_count:
        add_target(inc[i], f"hidden: {fig.src}")
    for a in range(n_atoms if focus is None else 0):
        vec = np.zeros(n_atoms)
        vec[a] = 1
        hit = np.flatnonzero(atom_of_report == a)
        ex = reports[int(hit[0])] if len(hit) else None
        if ex is None:
            continue
        add_target(vec, "atom like report " + json.dumps({x: ex[x] for x in (
            "force", "unit", "district", "month", "week", "severity", "categories", "outcome")}))
    # Nested differences F − G (G inside F once atoms published as 0 are
    # set aside), vectorised: G ⊆ F iff G · (1 − F) = 0.
    zero = np.zeros(n_atoms, dtype=bool)
    for vec, _lo, hi, _src, _v in count_rows:
        if hi == 0:
            zero |= vec.astype(bool)
    count_keys = np.array([i for i, key in enumerate(keys) if key[0] == "reports"], dtype=int)
    sub = inc[count_keys][:, ~zero]
    sub_u, first = np.unique(sub, axis=0, return_index=True)
    sub_u = sub_u[sub_u.any(axis=1)] if len(sub_u) else sub_u
    if len(sub_u) and focus is None:
        first = {row.tobytes(): count_keys[i] for row, i in zip(sub, range(len(sub)), strict=True)}
        inside = (sub_u @ (1.0 - sub_u).T) == 0  # inside[g, f]: g ⊆ f
        np.fill_diagonal(inside, False)
        t = sub_u @ truth[~zero]
        gap = t[None, :] - t[:, None]  # gap[g, f] = t(f) − t(g)
        pairs = np.argwhere(inside & (gap > 0) & (gap < k))
        for g, f in pairs[:max_diff_targets]:
            diff = np.zeros(n_atoms)
            diff[np.flatnonzero(~zero)[(sub_u[f] > 0) & (sub_u[g] == 0)]] = 1.0
            fi, gi = first[sub_u[f].tobytes()], first[sub_u[g].tobytes()]
            add_target(diff, f"difference: {by_key[keys[fi]][0].src}  −  {by_key[keys[gi]][0].src}")

    # The integer system: identical rows once; atoms inside a figure
    # published as 0 are 0 (presolve: dropped).
    keep = ~zero
    uniq: dict = {}
    for vec, lo, hi, src, v in count_rows:
        sub = vec[keep]
        if not sub.any():
            continue
        key = (sub.astype(bool).tobytes(), lo, hi)
        uniq.setdefault(key, (sub, lo, hi, src, v))
    count_rows = list(uniq.values())
    truth = truth[keep]
    targets = {b: (vec[keep], desc) for b, (vec, desc) in targets.items()}
    labelled = [cell[keep] for cell in labelled]
    n_atoms = int(keep.sum())
    for h in HARM:
        harm_truth[h] = harm_truth[h][keep]
        harm_rows[h] = [(r[0][keep], r[1], r[2]) for r in harm_rows[h]]
    kept_atom = np.cumsum(keep) - 1  # old atom index → new

    def ids_of(vec: np.ndarray) -> list:
        atoms = set(np.flatnonzero(vec > 0))
        return sorted(r["id"] for r, a in zip(reports, atom_of_report, strict=True) if keep[a] and kept_atom[a] in atoms)

    if count_rows:
        A = np.array([r[0] for r in count_rows])
        lb = np.array([r[1] for r in count_rows], dtype=float)
        ub = np.array([r[2] for r in count_rows], dtype=float)
    else:
        A, lb, ub = np.zeros((0, n_atoms)), np.zeros(0), np.zeros(0)
    witnesses: list[np.ndarray] = [truth.copy()]
    integrality = np.ones(n_atoms)

    def feasible(vec: np.ndarray, lo: float, hi: float) -> np.ndarray | None:
        cons = [LinearConstraint(np.vstack([A, vec]), np.append(lb, lo), np.append(ub, hi))]
        res = milp(c=np.zeros(n_atoms), constraints=cons, integrality=integrality, bounds=Bounds(0, np.inf),
                   options={"time_limit": 20})
        if res.status == 0:
            return np.round(res.x)
        if res.status == 2:  # infeasible
            return None
        raise AssertionError(f"milp did not finish: {res.message}")

    lab = [r for r in range(len(count_rows)) if lb[r] != ub[r]]

    def label_bounds(vec: np.ndarray) -> tuple[int, int]:
        if not lab:
            return 0, k
        cons = [LinearConstraint(A[lab], lb[lab], ub[lab])]
        low = milp(c=vec, constraints=cons, integrality=integrality, bounds=Bounds(0, np.inf))
        high = milp(c=-vec, constraints=cons + [LinearConstraint(vec, -np.inf, k)], integrality=integrality,
                    bounds=Bounds(0, np.inf))
        assert low.status == 0 and high.status == 0, (low.message, high.message)
        return int(round(low.fun)), int(round(-high.fun))

    def explain(vec: np.ndarray, sense: float) -> tuple[float, list]:
        eq = [r for r in range(len(count_rows)) if lb[r] == ub[r]]
        ineq = [r for r in range(len(count_rows)) if lb[r] != ub[r]]
        a_ub = []
        b_ub = []
        for r in ineq:
            if np.isfinite(ub[r]):
                a_ub.append(A[r])
                b_ub.append(ub[r])
            a_ub.append(-A[r])
            b_ub.append(-lb[r])
        res = linprog(sense * vec, A_eq=A[eq] if eq else None, b_eq=lb[eq] if eq else None,
                      A_ub=np.array(a_ub) if a_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                      bounds=(0, None), method="highs")
        if res.status != 0:
            return float("nan"), []
        used = []
        for pos, r in enumerate(eq):
            m = res.eqlin.marginals[pos]
            if abs(m) > 1e-9:
                used.append((round(sense * m, 6), count_rows[r][3], count_rows[r][4]))
        used.sort(key=lambda u: -abs(u[0]))
        return round(sense * res.fun, 6), used

    n_count_leaks = 0
    for vec, desc in targets.values():
        if max_leaks is not None and n_count_leaks >= max_leaks:
            break
        t_truth = int(vec @ truth)
        # What the labels alone say ("fewer than K" is 1..K−1, "at least X"
        # is ≥ X): a disclosure by design. The published values must not
        # narrow the target beyond it (nor below 0 / K where no label speaks).
        vals = [float(vec @ w) for w in witnesses]
        if not (any(v <= 1e-9 for v in vals) and any(v >= k - 1e-9 for v in vals)):
            need_low, need_high = label_bounds(vec)
        else:
            need_low, need_high = 0, k
        zero_ok = any(v <= need_low + 1e-9 for v in vals)
        big_ok = any(v >= need_high - 1e-9 for v in vals)
        if not zero_ok:
            w = feasible(vec, 0, need_low)
            if w is not None:
                witnesses.append(w)
                zero_ok = True
        if not big_ok:
            w = feasible(vec, need_high, np.inf)
            if w is not None:
                witnesses.append(w)
                big_ok = True
        if not (zero_ok and big_ok):
            n_count_leaks += 1
            if n_count_leaks <= explain_limit:
                low, used_low = explain(vec, 1.0)
                high, used_high = explain(vec, -1.0)
            else:
                low = high = None
                used_low = used_high = []
            need = f"must reach {need_low} and {need_high}{'' if need_high < k else '+'}"
            leaks.append(Leak("count", f"{desc} ({need})", t_truth, low, high, used_low if not zero_ok else used_high,
                              ids_of(vec)))

    # Harm sums: a group of 1..K−1 reports whose sum is pinned above zero.
    for h in HARM:
        rows = harm_rows[h]
        if not rows:
            continue
        HA = np.array([r[0] for r in rows])
        hb = np.array([r[1] for r in rows], dtype=float)
        for vec, desc in list(targets.values())[: 4 * (max_leaks or len(targets))]:
            true_h = float(vec @ harm_truth[h])
            if true_h <= 0:
                continue
            res = linprog(vec, A_eq=HA, b_eq=hb, bounds=(0, None), method="highs")
            if res.status == 0 and res.fun > 1e-6:
                used = [(round(m, 6), rows[p][2], rows[p][1]) for p, m in enumerate(res.eqlin.marginals)
                        if abs(m) > 1e-9]
                leaks.append(Leak(f"harm:{h}", f"{desc} (harm sum of {int(vec @ truth)} reports)", int(true_h),
                                  res.fun, None, used, ids_of(vec)))

    return Result(k, n_atoms, len(figures), len(count_rows), len(targets), leaks, mislabels)
