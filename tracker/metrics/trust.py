"""The community trust index and the safety score (DESIGN §7).

For one region and month:

* each respondent's trust value is the mean of their answers to respect,
  voice, fairness and safe_to_report ("prefer not to say" ignored; a
  respondent counts if they answered at least one), rescaled from the 1–5
  scale to 0–100 (1 → 0, 3 → 50, 5 → 100);
* the index is the mean of those values over respondents, with a 95 %
  t-interval (mean ± t(0.975, n−1) × s/√n) and n;
* suppressed below n = 30, labelled "low confidence" below n = 100;
* safety (one question) is reported separately, the same way.

Rollups store exact integer sums (12 × a respondent's mean is a whole
number), so incremental updates and rebuilds give identical figures.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tracker.metrics.stats import t_quantile

TRUST_QUESTIONS = ("respect", "voice", "fairness", "safe_to_report")
SAFETY_QUESTION = "safety"
SCALE = 12  # lcm(1, 2, 3, 4): 12 × the mean of 1–4 answers is an integer
MIN_N = 30
LOW_CONFIDENCE_N = 100


def trust_value12(answers: Iterable[int | None]) -> int | None:
    """12 × the mean of the answered trust questions (12..60), or None."""
    given = [int(a) for a in answers if a is not None]
    if not given:
        return None
    return SCALE * sum(given) // len(given)


def safety_value12(answer: int | None) -> int | None:
    return None if answer is None else SCALE * int(answer)


@dataclass(frozen=True)
class Estimate:
    """A published index: mean, 95 % interval and n on the 0–100 scale.

    ``status`` is "ok", "low_confidence", "suppressed" (n below 30: no
    figure) or "none" (nobody answered)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None
    se: float | None
    status: str

    @property
    def shown(self) -> bool:
        return self.mean is not None


def to_0_100(value12: float) -> float:
    """12 × a 1–5 mean → 0–100."""
    return (value12 / SCALE - 1.0) * 25.0


def estimate(n: int, sum12: int, sumsq12: int, *, min_n: int = MIN_N, low_n: int = LOW_CONFIDENCE_N) -> Estimate:
    """Mean, 95 % t-interval and standard error from the stored sums."""
    if n <= 0:
        return Estimate(0, None, None, None, None, "none")
    if n < min_n:
        return Estimate(n, None, None, None, None, "suppressed")
    mean12 = sum12 / n
    var12 = max(0.0, (sumsq12 - sum12 * sum12 / n) / (n - 1))
    factor = 25.0 / SCALE  # one unit of value12 on the 0–100 scale
    se = math.sqrt(var12 / n) * factor
    half = t_quantile(0.975, n - 1) * se
    mean = to_0_100(mean12)
    return Estimate(
        n,
        mean,
        max(0.0, mean - half),
        min(100.0, mean + half),
        se,
        "low_confidence" if n < low_n else "ok",
    )


def trust_and_safety(sums: dict, *, min_n: int = MIN_N, low_n: int = LOW_CONFIDENCE_N) -> tuple[Estimate, Estimate]:
    """``sums`` holds n_trust, sum_trust, sumsq_trust, n_safety, sum_safety,
    sumsq_safety (as in the pulse rollup)."""
    return (
        estimate(sums.get("n_trust", 0), sums.get("sum_trust", 0), sums.get("sumsq_trust", 0), min_n=min_n, low_n=low_n),
        estimate(sums.get("n_safety", 0), sums.get("sum_safety", 0), sums.get("sumsq_safety", 0), min_n=min_n, low_n=low_n),
    )


def significant_drop(before: Estimate, after: Estimate) -> bool:
    """The index fell by more than the combined uncertainty:
    before − after > 1.96 × √(se₁² + se₂²). Only between published figures."""
    if not (before.shown and after.shown) or before.se is None or after.se is None:
        return False
    return (before.mean - after.mean) > 1.96 * math.sqrt(before.se**2 + after.se**2)
