"""Small statistics, implemented here so that scipy is not a runtime
dependency: Student's t quantile and the Poisson upper tail.

Both are checked against scipy.stats in tests/metrics/test_stats.py.
"""
from __future__ import annotations

import math
from functools import lru_cache


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the regularised incomplete beta function
    (modified Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (bisection on the exact CDF;
    accurate to about 1e-10 for df ≥ 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    if df <= 0:
        raise ValueError("df must be positive")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            return math.inf
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def poisson_sf(x: int, lam: float) -> float:
    """P(X ≥ x) for X ~ Poisson(λ): the probability of seeing at least
    ``x`` events when ``λ`` are expected (scipy: ``poisson.sf(x - 1, λ)``).

    λ = 0: no event is ever expected, so P(X ≥ 0) = 1 and P(X ≥ x) = 0 for
    x ≥ 1. (Alerts never pass λ = 0: see tracker.metrics.alerts.)
    """
    if x <= 0:
        return 1.0
    if lam <= 0.0:
        return 0.0

    def term(k: int) -> float:
        return math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))

    if x > lam:
        # Sum the upper tail directly: terms fall once k > λ, so this is
        # accurate even for tiny probabilities.
        total, k = 0.0, x
        t = term(k)
        while t > 0.0:
            total += t
            k += 1
            t *= lam / k
            if t < total * 1e-17:
                break
        return min(1.0, total)
    # Otherwise the tail is large: 1 − P(X ≤ x−1). The lower terms fall as
    # k goes down from x−1 (≤ λ), so sum downwards until they vanish.
    lower, k = 0.0, x - 1
    t = term(k)
    while k >= 0 and t > 0.0:
        lower += t
        t *= k / lam
        k -= 1
        if t < lower * 1e-17:
            break
    return max(0.0, 1.0 - lower)
