"""Alerts: Poisson p-values against scipy, the λ = 0 rule, and never a
figure that suppression hides."""
import re
from datetime import date, timedelta

import pytest
from flask_babel import refresh
from scipy import stats

from tests.metrics.rows import add_pulse, add_report
from tracker.metrics import alerts


@pytest.mark.parametrize(
    "x,base",
    [(12, [3, 4, 2, 5, 3, 2]), (3, [0, 0, 0, 1, 0, 0]), (40, [20, 25, 18, 22, 30, 21]), (5, [1, 1, 1, 1, 1, 1])],
)
def test_p_value_is_the_poisson_upper_tail(x, base):
    lam, p = alerts.count_test(x, base)
    assert lam == pytest.approx(sum(base) / 6)
    assert p == pytest.approx(stats.poisson.sf(x - 1, lam), rel=1e-9)
    assert alerts.is_count_alert(x, base) == (x >= 3 and stats.poisson.sf(x - 1, lam) < 0.01)


def test_zero_baseline_uses_half_a_report_in_six_periods():
    lam, p = alerts.count_test(3, [0] * 6)
    assert lam == 0
    assert p == pytest.approx(stats.poisson.sf(2, 0.5 / 6), rel=1e-9)
    assert alerts.is_count_alert(3, [0] * 6)
    assert not alerts.is_count_alert(2, [0] * 6)  # fewer than 3 reports: never


def _weeks_ago(today, n):
    return today - timedelta(weeks=n)


def _army_page(db, grain, *, today, province=None):
    """Publish the release as the nightly job would on ``today`` and read
    the ARMY commander's default view of it."""
    import sqlalchemy as sa

    from tracker.metrics.release import publish_due
    from tracker.metrics.trends import View, commander_trends, default_months
    from tracker.reference.models import Force

    publish_due(today)
    db.session.commit()
    army = db.session.scalar(sa.select(Force.id).where(Force.code == "ARMY"))
    return commander_trends(View(f"force:{army}", grain, tuple(default_months(grain)), province))


# 2026-06-17 is a Wednesday in ISO week 25, the last week of the June
# release month (its Thursday, the 18th, is in June; week 26's is 25 June,
# also June, so we use week 26's Wednesday, 24 June, as "the last week").
LAST_WEEK_DAY = date(2026, 6, 24)  # ISO week 26, the last week whose Thursday is in June
TODAY = date(2026, 7, 6)  # June's release month is closed


def test_burst_raises_an_alert_with_its_explanation(app, db):
    base = [13, 14, 12, 15, 13, 12]  # the six weeks before, all publishable (≥ K)
    for n, count in zip(range(1, 7), reversed(base), strict=False):
        for _ in range(count):
            add_report(occurred_on=_weeks_ago(LAST_WEEK_DAY, n), region="XV0302", unit="BN12")
    for _ in range(40):
        add_report(occurred_on=LAST_WEEK_DAY, region="XV0302", unit="BN12")
    db.session.commit()
    page = _army_page(db, "week", today=TODAY)
    region_alerts = [a for a in page.alerts if a.subject == "region"]
    assert len(region_alerts) == 1
    a = region_alerts[0]
    assert a.subject_label == "Eastern Border"
    assert a.count == 40
    assert a.baseline == pytest.approx(sum(base) / 6)
    assert a.p_value == pytest.approx(stats.poisson.sf(39, sum(base) / 6))
    assert "40 reports this week" in a.explanation and "average of 13.2" in a.explanation
    assert a.period_label == "2026-W26"


def test_an_alert_never_shows_a_hidden_count(app, db):
    """5 reports after six empty weeks would be an alert, but 5 is hidden:
    no alert is computed from it (an alert would say it is at least 3)."""
    add_report(occurred_on=_weeks_ago(LAST_WEEK_DAY, 9), region="XV0101")  # history exists
    for _ in range(5):
        add_report(occurred_on=LAST_WEEK_DAY, region="XV0101", unit="SF1")
    db.session.commit()
    page = _army_page(db, "week", today=TODAY)
    assert page.alerts == []
    # Nor does the period line or "what changed" show it.
    assert all(i.cell.value != 5 for i in page.by_period.items)
    assert not re.search(r"\b5\b", page.drivers.summary)


def test_no_alert_without_six_periods_of_history(app, db):
    for _ in range(30):
        add_report(occurred_on=LAST_WEEK_DAY, region="XV0101")
    db.session.commit()
    page = _army_page(db, "week", today=TODAY)
    assert [a for a in page.alerts if a.kind == "count"] == []


def test_alerts_only_from_seven_published_figures():
    from tracker.metrics.published import Figure

    def figs(values, hide=None):
        return [Figure(v if i != hide else None, 10, "published" if i != hide else "secondary")
                for i, v in enumerate(values)]

    series = {("unit", "7"): figs([13, 14, 12, 15, 13, 12, 40])}
    assert len(alerts.count_alerts(series, "week", date(2026, 6, 22), 10, labels={})) == 1
    for hide in range(7):
        series = {("unit", "7"): figs([13, 14, 12, 15, 13, 12, 40], hide)}
        assert alerts.count_alerts(series, "week", date(2026, 6, 22), 10, labels={}) == []


def test_trust_drop_beyond_the_combined_uncertainty(app, db):
    for _ in range(50):
        add_pulse(region="XV0201", month=date(2026, 5, 1), respect=5, voice=5, fairness=4, safe_to_report=5)
        add_pulse(region="XV0201", month=date(2026, 6, 1), respect=2, voice=1, fairness=2, safe_to_report=2)
        add_pulse(region="XV0101", month=date(2026, 5, 1), respect=3, voice=3)
        add_pulse(region="XV0101", month=date(2026, 6, 1), respect=3, voice=4)
    for n in range(1, 8):  # reports, so that releases exist
        for _ in range(12):
            add_report(occurred_on=date(2026, 6, 10) - timedelta(weeks=4 * n), region="XV0101")
    for _ in range(12):
        add_report(occurred_on=date(2026, 6, 10), region="XV0101")
    db.session.commit()
    page = _army_page(db, "month", today=TODAY)
    found = [a for a in page.alerts if a.kind == "trust"]
    assert len(found) == 1
    assert "fell from 94 to 19" in found[0].explanation  # 93.75 and 18.75


def test_explanation_numbers_use_the_readers_decimal_separator(app):
    """DESIGN §9: numbers formatted by Babel for the locale."""
    with app.test_request_context("/trends?lang=es"):
        refresh()
        *_, text = alerts._count_explanation("Cerro Azul", "week", 40, 10, 3.25, 20, 0.00042)
    assert "3,2" in text or "3,3" in text
    assert "0,0004" in text
    with app.test_request_context("/trends?lang=en"):
        refresh()  # the fixture's app context would keep the Spanish locale cached
        *_, text = alerts._count_explanation("Cerro Azul", "week", 40, 10, 3.25, 20, 0.00042)
    assert "3.2" in text or "3.3" in text
    assert "p = 0.0004" in text
