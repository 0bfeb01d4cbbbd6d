"""Our t quantile and Poisson tail against scipy (a test-only dependency)."""
import math

import pytest
from scipy import stats

from tracker.metrics.stats import poisson_sf, t_quantile


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 8, 10, 29, 30, 50, 99, 100, 500, 10_000])
@pytest.mark.parametrize("p", [0.9, 0.95, 0.975, 0.995, 0.025, 0.6])
def test_t_quantile_matches_scipy(p, df):
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), abs=1e-6)


@pytest.mark.parametrize("lam", [0.01, 1 / 12, 0.5, 1.0, 3.2, 7.5, 20.0, 150.0])
@pytest.mark.parametrize("x", [1, 2, 3, 4, 6, 10, 15, 30, 60, 200])
def test_poisson_tail_matches_scipy(x, lam):
    expected = stats.poisson.sf(x - 1, lam)
    got = poisson_sf(x, lam)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_poisson_edge_cases():
    assert poisson_sf(0, 2.0) == 1.0
    assert poisson_sf(3, 0.0) == 0.0
    assert poisson_sf(0, 0.0) == 1.0
    assert not math.isnan(poisson_sf(1000, 0.5))
