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
* No alert until six earlier periods of data exist for the force.
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

from tracker.metrics.anonymise import is_sensitive, period_label, shift_period
from tracker.metrics.queries import Filters, Scope, report_sums, trust_by_region_month
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
    subject_id: int
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
        base_txt = _("an average of %(mean)s in %(periods)s", mean=format_decimal(lam, format="#,##0.0"), periods=_unit_word(grain, BASELINE_PERIODS))
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
    scope: Scope, f: Filters, current: date, k: int, *, region_level: int, labels: dict, shown=None
) -> list[Alert]:
    """Count alerts for ``current`` (a period start) per region (at
    ``region_level``) and per unit, within ``scope`` and the filters'
    province / category / unit. ``shown(subject, id)`` says whether the
    page publishes that subject's count for ``current`` (complementary
    suppression); if not, the alert does not give it either."""
    grain = f.grain
    first = shift_period(current, grain, -BASELINE_PERIODS)
    window = Filters(grain, first, current, f.province_id, f.category, f.unit_id)
    from tracker.metrics.queries import first_period

    earliest = first_period(scope, grain)
    if earliest is None or earliest > first:
        return []
    periods = [shift_period(first, grain, i) for i in range(BASELINE_PERIODS)]
    out = []
    region_col = "province_id" if region_level == 1 else "region_id"
    for subject, col in (("region", region_col), ("unit", "unit_id")):
        sums = report_sums(scope, window, ("period_start", col))
        by_subject: dict[int, dict[date, int]] = {}
        for (start, sid), v in sums.items():
            by_subject.setdefault(sid, {})[start] = v["reports"]
        for sid, series in sorted(by_subject.items()):
            if not sid:
                continue  # unknown unit / region: not a subject a commander can act on
            x = series.get(current, 0)
            base = [series.get(p, 0) for p in periods]
            if not is_count_alert(x, base):
                continue
            lam, p = count_test(x, base)
            label = labels.get((subject, sid), "")
            published = shown(subject, sid) if shown is not None else True
            shown_x, shown_base, shown_p, text = _count_explanation(label, grain, x, k, lam, sum(base), p, published)
            out.append(
                Alert(
                    f"count:{grain}:{current.isoformat()}:{subject}:{sid}",
                    "count",
                    subject,
                    sid,
                    label,
                    grain,
                    current,
                    period_label(current, grain),
                    shown_x,
                    shown_base,
                    shown_p,
                    text,
                )
            )
    out.sort(key=lambda a: (a.p_value if a.p_value is not None else 0.0, a.subject, a.subject_label))
    return out


def trust_alerts(current_month: date, *, region_level: int, province_id: int | None, labels: dict) -> list[Alert]:
    """Regions whose trust index fell significantly since the previous month."""
    prev = shift_period(current_month, "month", -1)
    rows = trust_by_region_month(level=region_level, first=prev, last=current_month, province_id=province_id)
    by_region: dict[int, dict[date, object]] = {}
    for r in rows:
        by_region.setdefault(r.region_id, {})[r.period] = r.trust
    out = []
    for rid, est in sorted(by_region.items()):
        before, after = est.get(prev), est.get(current_month)
        if before is None or after is None or not significant_drop(before, after):
            continue
        label = labels.get(("region", rid), "")
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
                f"trust:month:{current_month.isoformat()}:region:{rid}",
                "trust", "region", rid, label, "month", current_month, period_label(current_month, "month"),
                None, None, None, text,
            )
        )
    return out
