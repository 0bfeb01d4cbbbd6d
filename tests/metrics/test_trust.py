"""The trust index and safety score against an independent computation."""
import random
from datetime import date

import numpy as np
import pytest
from scipy import stats

from tracker.metrics.trust import estimate, significant_drop, trust_value12


def _scipy_estimate(values):
    a = np.array(values, dtype=float)
    mean = a.mean()
    low, high = stats.t.interval(0.95, len(a) - 1, loc=mean, scale=stats.sem(a))
    return mean, low, high


def _sums(values12):
    return len(values12), sum(values12), sum(v * v for v in values12)


@pytest.mark.parametrize("n", [30, 31, 99, 100, 250])
def test_index_and_interval_match_scipy(n):
    rng = random.Random(n)
    answers = []
    for _ in range(n):
        a = [rng.choice([None, 1, 2, 3, 4, 5]) for _ in range(4)]
        if all(x is None for x in a):
            a[0] = 3
        answers.append(a)
    values12 = [trust_value12(a) for a in answers]
    est = estimate(*_sums(values12))
    rescaled = [(np.mean([x for x in a if x is not None]) - 1) * 25 for a in answers]
    mean, low, high = _scipy_estimate(rescaled)
    assert est.mean == pytest.approx(mean, abs=1e-9)
    assert est.low == pytest.approx(max(0, low), abs=1e-6)
    assert est.high == pytest.approx(min(100, high), abs=1e-6)
    assert est.n == n
    assert est.status == ("ok" if n >= 100 else "low_confidence")


def test_suppressed_below_30_and_prefer_not_to_say_ignored():
    assert trust_value12([None, None, None, None]) is None
    assert trust_value12([5, None, None, None]) == 60
    assert trust_value12([1, 2, None, None]) == 18
    est = estimate(*_sums([36] * 29))
    assert est.status == "suppressed" and est.mean is None
    assert estimate(0, 0, 0).status == "none"


def test_all_agree_gives_100_and_zero_width():
    est = estimate(*_sums([60] * 40))
    assert est.mean == 100 and est.low == 100 and est.high == 100


def test_drop_must_exceed_combined_uncertainty():
    rng = random.Random(1)
    before = estimate(*_sums([rng.choice([48, 60]) for _ in range(200)]))
    after = estimate(*_sums([rng.choice([12, 24]) for _ in range(200)]))
    assert significant_drop(before, after)
    assert not significant_drop(before, before)
    assert not significant_drop(after, before)


def test_pulse_rollup_feeds_the_same_figures(app, db, pulse):
    from tracker.metrics import queries

    rng = random.Random(7)
    expected = []
    for _ in range(40):
        a = {q: rng.choice([None, 2, 3, 4, 5]) for q in ("respect", "voice", "fairness", "safe_to_report")}
        a["respect"] = a["respect"] or 4
        a["safety"] = rng.choice([1, 2, 3, 4, 5])
        pulse(region="XV0302", month=date(2026, 3, 1), **a)
        expected.append((np.mean([v for k, v in a.items() if k != "safety" and v is not None]) - 1) * 25)
    db.session.commit()
    rows = queries.trust_by_region_month(level=1, first=date(2026, 3, 1), last=date(2026, 3, 1))
    (row,) = [r for r in rows if r.region_code == "XV03"]
    mean, low, high = _scipy_estimate(expected)
    assert row.trust.mean == pytest.approx(mean)
    assert row.trust.low == pytest.approx(low)
    assert row.trust.n == 40 and row.trust.status == "low_confidence"
