"""Anonymisation: the only place where aggregate figures become publishable.

Rules (DESIGN §5; K read by tracker.admin.settings.k_threshold: the
``k_threshold`` setting, else the ``TRACKER_K_THRESHOLD`` config):

* a count from 1 to K−1 is never shown: it becomes "fewer than K"; zero is
  shown (primary suppression);
* complementary suppression: no suppressed cell may be worked out from the
  published cells and totals of its row or column. In a table with margins
  every row and column (the totals row and column included) holds either no
  suppressed cell or at least two, and every suppressed cell lies on a cycle
  of suppressed cells, so that adding 1 to some and taking 1 from others
  gives another table with the same published figures;
* time no finer than ISO week for commanders, month for the public; place no
  finer than district for commanders, province for the public;
* no free text, coordinates, photos or exact dates: callers only ever get
  counts and sums from here;
* no cross-tabulation of unit with victim characteristics below K.

Everything returned is a plain dataclass, never a model.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from tracker.admin.settings import k_threshold  # noqa: F401 - K is read in one place; imported from here by release.py

AUDIENCES = ("commander", "public")
# Finest time grain and finest region level each audience may see.
ALLOWED_GRAINS = {"commander": ("week", "month"), "public": ("month",)}
FINEST_REGION_LEVEL = {"commander": 2, "public": 1}  # 2 = district, 1 = province


class DisclosureError(ValueError):
    """Asked for something finer than the policy allows."""


def check_grain(audience: str, grain: str) -> str:
    """Refuse a time grain finer than the audience may see."""
    if grain not in ALLOWED_GRAINS.get(audience, ()):
        raise DisclosureError(f"{grain!r} is finer than {audience} may see")
    return grain


def check_region_level(audience: str, level: int) -> int:
    """Refuse a place finer than the audience may see."""
    if level > FINEST_REGION_LEVEL.get(audience, 1):
        raise DisclosureError(f"region level {level} is finer than {audience} may see")
    return level


def period_start(day: date, grain: str) -> date:
    """The first day of the ISO week (Monday) or month containing ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise DisclosureError(f"unknown grain {grain!r}")


def shift_period(start: date, grain: str, n: int) -> date:
    """The period ``n`` steps after (or before, if negative) ``start``."""
    if grain == "week":
        return start + timedelta(weeks=n)
    months = start.year * 12 + (start.month - 1) + n
    return date(months // 12, months % 12 + 1, 1)


def period_end(start: date, grain: str) -> date:
    """The last day of the period starting on ``start``."""
    return shift_period(start, grain, 1) - timedelta(days=1)


def periods_between(first: date, last: date, grain: str) -> list[date]:
    out, cur = [], period_start(first, grain)
    last = period_start(last, grain)
    while cur <= last:
        out.append(cur)
        cur = shift_period(cur, grain, 1)
    return out


def period_label(start: date, grain: str) -> str:
    """``2026-W07`` or ``2026-02``: never an exact date."""
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start.year}-{start.month:02d}"


# --------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class Cell:
    """One published figure. ``value`` is None when suppressed."""

    value: int | None
    k: int
    primary: bool = False  # suppressed because it is itself 1..K−1

    @property
    def suppressed(self) -> bool:
        return self.value is None


def published(value: int, k: int) -> Cell:
    return Cell(value, k)


def hidden(k: int, primary: bool = False) -> Cell:
    return Cell(None, k, primary)


def is_sensitive(value: int | float, k: int) -> bool:
    return 0 < value < k


@dataclass
class Series:
    """A one-dimensional list of counts (a row), with its total if any."""

    keys: list
    cells: list[Cell]
    total: Cell | None
    k: int

    def items(self):
        return list(zip(self.keys, self.cells, strict=False))


@dataclass
class Table:
    """A two-dimensional table with margins, after suppression."""

    row_keys: list
    col_keys: list
    cells: list[list[Cell]]
    row_totals: list[Cell]
    col_totals: list[Cell]
    total: Cell
    k: int
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- 1-D


def suppress_series(
    keys: Sequence, values: Sequence[int], k: int, *, with_total: bool = True, total_hidden: bool = False
) -> Series:
    """Suppress a list of counts (and its total when published).

    Primary: 1..K−1. Complementary: a line (the cells plus the total) with
    exactly one suppressed figure gets the next-smallest non-zero cell
    suppressed too; if there is none, the total is suppressed.
    ``total_hidden``: the total is hidden elsewhere (another table of the
    same page), so it counts as suppressed here too.
    """
    values = [int(v) for v in values]
    total_value = sum(values)
    line = list(values) + ([total_value] if with_total else [])
    hide = [is_sensitive(v, k) for v in line]
    primary = list(hide)
    if with_total and total_hidden:
        hide[-1] = True
    _complete_line(line, hide, total_index=len(values) if with_total else None)
    cells = [hidden(k, primary[i]) if hide[i] else published(values[i], k) for i in range(len(values))]
    total = None
    if with_total:
        i = len(values)
        total = hidden(k, primary[i]) if hide[i] else published(total_value, k)
    return Series(list(keys), cells, total, k)


def _complete_line(line: list[int], hide: list[bool], total_index: int | None) -> bool:
    """Make sure the line does not hold exactly one suppressed figure.
    Returns True if something was added."""
    if sum(hide) != 1:
        return False
    candidates = [(v, i) for i, v in enumerate(line) if not hide[i] and v > 0 and i != total_index]
    if candidates:
        hide[min(candidates)[1]] = True
        return True
    if total_index is not None and not hide[total_index]:
        hide[total_index] = True
        return True
    # Nothing non-zero left: the suppressed figure is the only one, and the
    # line has no published total, so it cannot be solved.
    return False


# --------------------------------------------------------------------------- 2-D


def suppress_table(
    row_keys: Sequence, col_keys: Sequence, values: Sequence[Sequence[int]], k: int, *, extra: dict | None = None
) -> Table:
    """Suppress a table and its margins (row totals, column totals, total).

    Treat the table with its margins as an (R+1)×(C+1) array where every row
    and column is one linear constraint. Suppressed cells are the edges of a
    bipartite graph (rows, columns); a cell is safe when it lies on a cycle.
    Repeat until safe: give every row/column with exactly one suppressed
    figure its next-smallest one; then, for any suppressed cell that is a
    bridge, suppress the smallest figure that closes a cycle through it.
    """
    R, C = len(row_keys), len(col_keys)
    if R == 0 or C == 0:
        return Table(list(row_keys), list(col_keys), [[] for _ in range(R)], [published(0, k)] * R,
                     [published(0, k)] * C, published(0, k), k, extra or {})
    grid = [[int(values[i][j]) for j in range(C)] for i in range(R)]
    full = [row + [sum(row)] for row in grid]
    full.append([sum(grid[i][j] for i in range(R)) for j in range(C)] + [sum(sum(r) for r in grid)])
    hide = [[is_sensitive(full[i][j], k) for j in range(C + 1)] for i in range(R + 1)]
    primary = [row[:] for row in hide]
    _protect(full, hide)
    cell = lambda i, j: hidden(k, primary[i][j]) if hide[i][j] else published(full[i][j], k)  # noqa: E731
    return Table(
        list(row_keys),
        list(col_keys),
        [[cell(i, j) for j in range(C)] for i in range(R)],
        [cell(i, C) for i in range(R)],
        [cell(R, j) for j in range(C)],
        cell(R, C),
        k,
        extra or {},
    )


def _protect(full: list[list[int]], hide: list[list[bool]]) -> None:
    n_rows, n_cols = len(full), len(full[0])
    for _ in range(4 * n_rows * n_cols + 10):
        if _fix_single_lines(full, hide):
            continue
        bridge = _find_bridge(hide)
        if bridge is None:
            return
        if not _close_cycle(full, hide, bridge):
            break
    # Could not protect cell by cell (degenerate table): publish nothing.
    for i in range(n_rows):
        for j in range(n_cols):
            hide[i][j] = True


def _fix_single_lines(full, hide) -> bool:
    n_rows, n_cols = len(full), len(full[0])
    changed = False
    for i in range(n_rows):
        idx = [j for j in range(n_cols) if hide[i][j]]
        if len(idx) == 1:
            _hide_smallest(full, hide, [(i, j) for j in range(n_cols) if j != idx[0]])
            changed = True
    for j in range(n_cols):
        idx = [i for i in range(n_rows) if hide[i][j]]
        if len(idx) == 1:
            _hide_smallest(full, hide, [(i, j) for i in range(n_rows) if i != idx[0]])
            changed = True
    return changed


def _hide_smallest(full, hide, positions) -> None:
    """Suppress the smallest non-zero published figure among ``positions``
    (a zero only if there is nothing else: a suppressed cell that is the
    only non-zero one of its line equals the line's total, so that total
    must go too, and it is non-zero)."""
    open_ = [(full[i][j], i, j) for i, j in positions if not hide[i][j]]
    nonzero = [t for t in open_ if t[0] > 0]
    if not open_:
        return
    pick = min(nonzero or open_)
    hide[pick[1]][pick[2]] = True


def _find_bridge(hide) -> tuple[int, int] | None:
    """A suppressed cell whose removal disconnects rows from columns
    (Tarjan's bridge search on the bipartite graph rows ↔ columns)."""
    n_rows, n_cols = len(hide), len(hide[0])
    adj: dict[tuple, list] = {}
    for i in range(n_rows):
        for j in range(n_cols):
            if hide[i][j]:
                adj.setdefault(("r", i), []).append((("c", j), (i, j)))
                adj.setdefault(("c", j), []).append((("r", i), (i, j)))
    disc: dict = {}
    low: dict = {}
    counter = [0]
    for start in sorted(adj):
        if start in disc:
            continue
        # iterative DFS: (node, parent edge, iterator index)
        stack = [(start, None, 0)]
        disc[start] = low[start] = counter[0]
        counter[0] += 1
        while stack:
            node, pedge, idx = stack[-1]
            if idx < len(adj[node]):
                stack[-1] = (node, pedge, idx + 1)
                nxt, edge = adj[node][idx]
                if edge == pedge:
                    continue
                if nxt not in disc:
                    disc[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append((nxt, edge, 0))
                else:
                    low[node] = min(low[node], disc[nxt])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        return pedge
    return None


def _component(hide, start, removed) -> set:
    n_rows, n_cols = len(hide), len(hide[0])
    seen, todo = {start}, [start]
    while todo:
        kind, x = todo.pop()
        if kind == "r":
            nxt = [("c", j) for j in range(n_cols) if hide[x][j] and (x, j) != removed]
        else:
            nxt = [("r", i) for i in range(n_rows) if hide[i][x] and (i, x) != removed]
        for node in nxt:
            if node not in seen:
                seen.add(node)
                todo.append(node)
    return seen


def _close_cycle(full, hide, bridge) -> bool:
    """Suppress the smallest figure joining the two sides of ``bridge``."""
    i, j = bridge
    side_a = _component(hide, ("r", i), bridge)
    side_b = _component(hide, ("c", j), bridge)
    rows_a = [x for kind, x in side_a if kind == "r"]
    cols_a = [x for kind, x in side_a if kind == "c"]
    rows_b = [x for kind, x in side_b if kind == "r"]
    cols_b = [x for kind, x in side_b if kind == "c"]
    positions = [(r, c) for r in rows_a for c in cols_b] + [(r, c) for r in rows_b for c in cols_a]
    open_ = [(full[r][c], r, c) for r, c in positions if not hide[r][c]]
    nonzero = [t for t in open_ if t[0] > 0]
    if not nonzero:
        return False
    _, r, c = min(nonzero)
    hide[r][c] = True
    return True


# --------------------------------------------------------------------------- helpers


def follow_pattern(series: Series, values: Sequence[int | float]) -> list[int | float | None]:
    """Sums (harm totals…) shown next to a suppressed count line hide the
    same cells as the counts, so that they reveal nothing the counts hide."""
    return [None if c.suppressed else v for c, v in zip(series.cells, values, strict=False)]


def suppress_crosstab(
    row_keys: Sequence, col_keys: Sequence, values: Sequence[Sequence[int]], k: int
) -> list[list[Cell]]:
    """A table of overlapping counts with no additive totals (e.g. unit ×
    victim characteristic: a report can name children and women): every
    cell below K is suppressed, and each row and column is protected like
    a list."""
    R, C = len(row_keys), len(col_keys)
    hide = [[is_sensitive(values[i][j], k) for j in range(C)] for i in range(R)]
    primary = [row[:] for row in hide]
    changed = True
    while changed:
        changed = False
        for i in range(R):
            line = [int(values[i][j]) for j in range(C)]
            h = hide[i]
            if _complete_line(line, h, None):
                changed = True
        for j in range(C):
            line = [int(values[i][j]) for i in range(R)]
            h = [hide[i][j] for i in range(R)]
            if _complete_line(line, h, None):
                for i in range(R):
                    hide[i][j] = h[i]
                changed = True
    return [
        [hidden(k, primary[i][j]) if hide[i][j] else published(int(values[i][j]), k) for j in range(C)]
        for i in range(R)
    ]


def published_values(cells: Iterable[Cell]) -> list[int]:
    return [c.value for c in cells if c.value is not None]
