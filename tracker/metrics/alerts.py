"""Alerts (DESIGN §5): a unit or region whose count this period is
improbably high against its own recent baseline, or whose trust index fell
by more than its combined uncertainty.

* Count alert: x = reports this period, λ = mean of the previous six
  periods; alert when x ≥ 3 and P(X ≥ x | Poisson(λ)) < 0.01.
* λ = 0 (nothing at all in six periods): a Poisson with mean 0 makes any
  report "impossible" (p = 0), which would flag every first report. We use
  λ = 1/12 instead, as if half a report had been seen in the six periods:
  three reports in a period after six empty ones still gives p ≈ 0.0001 (an
  alert), one or two never do (x ≥ 3 anyway).
* Only figures of the published release are used, and only when the
  current period and all six baseline periods are published exactly (no
  alert is computed from, or implies, a hidden count).
* Trust alert: this month's index is below last month's by more than
  1.96 × √(se₁² + se₂²); both months must be published (n ≥ 30).
* An alert never shows a figure that suppression hides: a count below K
  reads "fewer than K" and its p-value is only given as "p < 0.01"; a
  baseline whose six-period total is below K is described, not given.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _

from tracker.metrics.anonymise import is_sensitive, period_label
from tracker.metrics.stats import poisson_sf
from tracker.metrics.trust import significant_drop

BASELINE_PERIODS = 6
P_THRESHOLD = 0.01
MIN_COUNT = 3
ZERO_BASELINE_LAMBDA = 0.5 / BASELINE_PERIODS


@dataclass
class Alert:
    key: str  # stable id, used to attach responses: "count:week:2026-03-02:region:17"
    kind: str  # "count" | "trust"
    subject: str  # "region" | "unit"
    subject_id: int | str  # region or unit id (the release key until the page maps it)
    subject_label: str
    grain: str
    period: date
    period_label: str
    count: int | None  # None when suppressed
    baseline: float | None  # None when it would reveal a small total
    p_value: float | None  # None when it would reveal a suppressed count
    explanation: str


def count_test(x: int, baseline_counts: list[int]) -> tuple[float, float]:
    """(λ used, p) for ``x`` reports against the baseline periods."""
    lam = sum(baseline_counts) / len(baseline_counts) if baseline_counts else 0.0
    lam_used = lam if lam > 0 else ZERO_BASELINE_LAMBDA
    return lam, poisson_sf(x, lam_used)


def is_count_alert(x: int, baseline_counts: list[int]) -> bool:
    if x < MIN_COUNT:
        return False
    if baseline_counts and x <= sum(baseline_counts) / len(baseline_counts):
        return False  # at or below its own average: P(X ≥ x) ≥ about one half
    return count_test(x, baseline_counts)[1] < P_THRESHOLD


def _fmt_p(p: float) -> str:
    """The p-value, with the reader's decimal separator."""
    if p < 0.0001:
        return "p < " + format_decimal(0.0001, format="0.0000")
    return "p = " + format_decimal(p, format="0.0000" if p < 0.001 else "0.000")


def _unit_word(grain: str, n: int) -> str:
    if grain == "week":
        return _("this week") if n == 0 else _("the previous %(n)s weeks", n=n)
    return _("this month") if n == 0 else _("the previous %(n)s months", n=n)


def _count_explanation(
    label: str, grain: str, x: int, k: int, lam: float, base_total: int, p: float, published: bool = True
) -> tuple:
    shown_x = x if published and not is_sensitive(x, k) else None
    # A hidden count hides its baseline too (with a published total over the
    # same periods, the baseline would give the count away).
    shown_base = None if shown_x is None or is_sensitive(base_total, k) else lam
    shown_p = p if shown_x is not None else None
    count_txt = str(shown_x) if shown_x is not None else _("fewer than %(k)s", k=k)
    if shown_base is not None:
        base_txt = _("an average of %(mean)s in %(periods)s", mean=format_decimal(lam, format="#,##0.0"),
                     periods=_unit_word(grain, BASELINE_PERIODS))
    elif shown_x is None:
        base_txt = _("its usual level in %(periods)s", periods=_unit_word(grain, BASELINE_PERIODS))
    else:
        base_txt = _("fewer than %(k)s reports in all of %(periods)s", k=k, periods=_unit_word(grain, BASELINE_PERIODS))
    p_txt = _fmt_p(p) if shown_p is not None else "p < " + format_decimal(0.01, format="0.00")
    text = _(
        "%(count)s reports %(when)s in %(place)s, against %(baseline)s. This is unlikely to be chance (%(p)s).",
        count=count_txt,
        when=_unit_word(grain, 0),
        place=label,
        baseline=base_txt,
        p=p_txt,
    )
    return shown_x, shown_base, shown_p, text


def count_alerts(
    series: dict[tuple[str, str], list], grain: str, current: date, k: int, *, labels: dict
) -> list[Alert]:
    """Count alerts for ``current`` from published figures only.

    ``series[(subject, key)]`` holds the release figures of the six
    baseline periods and then ``current`` (tracker.metrics.published
    Figures). A subject is tested only when all seven are published
    exactly: an alert then shows nothing that is not already on the page,
    and its baseline mean cannot imply a hidden count."""
    out = []
    for (subject, key), figures in sorted(series.items()):
        if key in ("0", "-") or len(figures) != BASELINE_PERIODS + 1:
            continue  # unknown unit / place: not a subject a commander can act on
        if any(not f.exact for f in figures):
            continue
        base, x = [f.value for f in figures[:-1]], figures[-1].value
        if not is_count_alert(x, base):
            continue
        lam, p = count_test(x, base)
        label = labels.get((subject, key), "")
        shown_x, shown_base, shown_p, text = _count_explanation(label, grain, x, k, lam, sum(base), p, True)
        out.append(
            Alert(
                f"count:{grain}:{current.isoformat()}:{subject}:{key}",
                "count", subject, key, label, grain, current, period_label(current, grain),
                shown_x, shown_base, shown_p, text,
            )
        )
    out.sort(key=lambda a: (a.p_value if a.p_value is not None else 0.0, a.subject, a.subject_label))
    return out


def trust_alerts(estimates: dict[str, tuple], current_month: date, *, labels: dict) -> list[Alert]:
    """Regions whose published trust index fell significantly since the
    previous month. ``estimates[key] = (before, after)`` Estimates, each
    published (n ≥ 30 and not hidden) or not shown."""
    out = []
    for key, (before, after) in sorted(estimates.items()):
        if before is None or after is None or not significant_drop(before, after):
            continue
        label = labels.get(("region", key), "")
        text = _(
            "The trust index in %(place)s fell from %(before)s to %(after)s (out of 100) in %(month)s, "
            "more than the margin of error of the two surveys (%(n1)s and %(n2)s answers).",
            place=label,
            before=format_decimal(before.mean, format="0"),
            after=format_decimal(after.mean, format="0"),
            month=period_label(current_month, "month"),
            n1=before.n,
            n2=after.n,
        )
        out.append(
            Alert(
                f"trust:month:{current_month.isoformat()}:region:{key}",
                "trust", "region", key, label, "month", current_month, period_label(current_month, "month"),
                None, None, None, text,
            )
        )
    return out
