"""Anonymisation properties (DESIGN §5), proven on random tables.

For every generated table: no published figure lies in 1..K−1, and no
suppressed figure can be worked out from what is published (its row and
column totals included): linear programming over the suppressed cells,
given every published figure, finds a range, never a single value.
"""
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tracker.metrics.anonymise import (
    DisclosureError,
    check_grain,
    check_region_level,
    period_label,
    period_start,
    suppress_crosstab,
    suppress_series,
    suppress_table,
)

# Small counts are what suppression is about: bias the values towards them.
counts = st.one_of(st.integers(0, 12), st.integers(0, 60))


def _full(table):
    """The published table as an (R+1)×(C+1) array, None for suppressed."""
    rows = [[c.value for c in row] + [t.value] for row, t in zip(table.cells, table.row_totals, strict=False)]
    rows.append([c.value for c in table.col_totals] + [table.total.value])
    return rows


def _bounds(full):
    """Min and max of each suppressed figure given all published ones and
    nonnegativity (LP relaxation: a unique integer solution would show as
    min == max)."""
    R, C = len(full) - 1, len(full[0]) - 1
    unknown = [(i, j) for i in range(R + 1) for j in range(C + 1) if full[i][j] is None]
    if not unknown:
        return {}
    index = {p: n for n, p in enumerate(unknown)}
    A, b = [], []

    def constraint(cells, total):
        row, rhs = np.zeros(len(unknown)), 0.0
        for pos, sign in [(p, 1.0) for p in cells] + [(total, -1.0)]:
            if pos in index:
                row[index[pos]] += sign
            else:
                rhs -= sign * full[pos[0]][pos[1]]
        A.append(row)
        b.append(rhs)

    for i in range(R + 1):
        constraint([(i, j) for j in range(C)], (i, C))
    for j in range(C + 1):
        constraint([(i, j) for i in range(R)], (R, j))
    out = {}
    for pos, n in index.items():
        c = np.zeros(len(unknown))
        c[n] = 1.0
        lo = linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)  # 3: unbounded, i.e. not determined
        out[pos] = (lo.fun, -hi.fun if hi.status == 0 else float("inf"))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(2, 12),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    data=st.data(),
)
def test_no_published_cell_is_small_and_no_suppressed_cell_is_solvable(k, shape, data):
    R, C = shape
    values = data.draw(st.lists(st.lists(counts, min_size=C, max_size=C), min_size=R, max_size=R))
    table = suppress_table(list(range(R)), list(range(C)), values, k)
    full = _full(table)
    truth = [row + [sum(row)] for row in values]
    truth.append([sum(values[i][j] for i in range(R)) for j in range(C)] + [sum(map(sum, values))])
    for i in range(R + 1):
        for j in range(C + 1):
            v = full[i][j]
            assert v is None or v == 0 or v >= k, "a published figure lies in 1..K-1"
            assert v is None or v == truth[i][j], "a published figure is wrong"
            if 0 < truth[i][j] < k:
                assert v is None
    # Every row and column holds no suppressed figure or at least two.
    for i in range(R + 1):
        assert sum(v is None for v in full[i]) != 1
    for j in range(C + 1):
        assert sum(full[i][j] is None for i in range(R + 1)) != 1
    for pos, (lo, hi) in _bounds(full).items():
        assert hi - lo >= 1 - 1e-6, f"suppressed cell {pos} can be worked out ({lo}..{hi})"


@settings(max_examples=200, deadline=None)
@given(k=st.integers(2, 12), values=st.lists(counts, min_size=1, max_size=12))
def test_series_with_total_never_lets_one_hidden_cell_be_solved(k, values):
    s = suppress_series(list(range(len(values))), values, k)
    shown = [c.value for c in s.cells] + [s.total.value]
    assert all(v is None or v == 0 or v >= k for v in shown)
    hidden = [i for i, v in enumerate(shown) if v is None]
    assert len(hidden) != 1
    # Two or more hidden figures in one sum: each can move by ±1 while the
    # published figures stay the same (all hidden figures are at least 1).
    assert all(([*values, sum(values)][i]) >= 1 for i in hidden)


@given(k=st.integers(2, 12), values=st.lists(st.lists(counts, min_size=4, max_size=4), min_size=1, max_size=6))
@settings(max_examples=100, deadline=None)
def test_unit_by_victim_crosstab_has_no_cell_below_k(k, values):
    cells = suppress_crosstab(list(range(len(values))), ["children", "women", "elderly", "disability"], values, k)
    for row, truth in zip(cells, values, strict=False):
        for c, t in zip(row, truth, strict=False):
            assert c.value is None or c.value == 0 or c.value >= k
            assert c.value is None or c.value == t


def test_worked_example():
    # 3 in one district: hidden, and the next-smallest (12) too, so the
    # province total of 40 does not give the 3 away.
    s = suppress_series(["a", "b", "c"], [3, 12, 25], 10)
    assert [c.value for c in s.cells] == [None, None, 25]
    assert s.total.value == 40
    # zero is shown
    s = suppress_series(["a", "b"], [0, 30], 10)
    assert [c.value for c in s.cells] == [0, 30]
    # a single small cell and nothing else non-zero: the total goes too
    s = suppress_series(["a", "b"], [4, 0], 10)
    assert s.cells[0].value is None and s.total.value is None and s.cells[1].value == 0


def test_time_and_place_limits():
    assert check_grain("commander", "week") == "week"
    check_grain("public", "month")
    with pytest.raises(DisclosureError):
        check_grain("public", "week")
    with pytest.raises(DisclosureError):
        check_grain("commander", "day")
    check_region_level("commander", 2)
    with pytest.raises(DisclosureError):
        check_region_level("public", 2)
    d = date(2026, 1, 1)  # a Thursday in ISO week 2026-W01
    assert period_start(d, "week") == date(2025, 12, 29)
    assert period_label(period_start(d, "week"), "week") == "2026-W01"
    assert period_label(period_start(d, "month"), "month") == "2026-01"


def test_k_comes_from_setting_then_config(app, db):
    from tracker.metrics.anonymise import k_threshold
    from tracker.reference.models import Setting

    assert k_threshold() == 10
    app.config["TRACKER_K_THRESHOLD"] = 5
    assert k_threshold() == 5
    db.session.add(Setting(key="k_threshold", value=20))  # as the admin settings page stores it
    db.session.flush()
    assert k_threshold() == 20
