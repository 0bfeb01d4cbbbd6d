"""Small planted data that reproduces the three leaks of issue 7, at K = 10,
in the three complete months before the current one (M1, M2, M3):

* range subtraction: ARMY killing reports M1 6, M2 5, M3 3 — every month
  fewer than 10, but M1–M2 = 11 and M1–M3 = 14 give M3 = 3;
* province sums: ARMY over M1–M3 has Eastern Border 15, River Valley 11,
  Northern Highlands 10 (hidden only to protect Southern Coast), Southern
  Coast 3; the province filter XV01 publishes 10, so 39 − 15 − 11 − 10 = 3;
* cross-scope: in M1 Eastern Border ARMY has 12 and NAVY 9; the public
  month × province cell is 21, so 21 − 12 = 9 NAVY reports.
"""
from __future__ import annotations

from datetime import date, timedelta

from tests.metrics.rows import add_report


def months_before(today: date, n: int) -> list[date]:
    out, cur = [], today.replace(day=1)
    for _ in range(n):
        cur = (cur - timedelta(days=1)).replace(day=1)
        out.append(cur)
    return out[::-1]


def label(m: date) -> str:
    return f"{m.year}-{m.month:02d}"


# (month index, district, force, unit, category, count, harm)
PLAN = [
    (0, "XV0301", "ARMY", "BDE4", "killing", 6, {"killed": 1}),
    (1, "XV0201", "ARMY", "BN12", "killing", 5, {"killed": 1}),
    (2, "XV0302", "ARMY", "BDE4", "killing", 3, {"killed": 1}),
    (0, "XV0302", "ARMY", "BN12", "assault", 6, {"injured": 1}),
    (0, "XV0202", "ARMY", "BDE4", "assault", 6, {}),
    (1, "XV0101", "ARMY", "BDE4", "assault", 10, {}),
    (2, "XV0401", "ARMY", "BN12", "assault", 3, {"missing": 1}),
    (0, "XV0301", "NAVY", "CG2", "assault", 9, {"detained": 1}),
]


def plant(db, today: date) -> list[str]:
    """Insert the plan (day-precision dates, the 10th of each month) and
    return the month labels M1..M3."""
    months = months_before(today, 3)
    for mi, district, force, unit, category, count, harm in PLAN:
        for i in range(count):
            add_report(occurred_on=months[mi] + timedelta(days=9 + i % 3), region=district, force=force, unit=unit,
                       categories=(category,), severity="high" if i % 2 else "medium", **harm)
    db.session.commit()
    return [label(m) for m in months]
