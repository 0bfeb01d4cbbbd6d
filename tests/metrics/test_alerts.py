"""Alerts: Poisson p-values against scipy, the λ = 0 rule, and never a
figure that suppression hides."""
from datetime import date, timedelta

import pytest
from flask_babel import refresh
from scipy import stats

from tests.metrics.rows import add_pulse, add_report
from tracker.metrics import alerts
from tracker.metrics.queries import Filters, Scope


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


def _scope(db):
    import sqlalchemy as sa

    from tracker.reference.models import Force

    return Scope("commander", (db.session.scalar(sa.select(Force.id).where(Force.code == "ARMY")),), None)


def test_burst_raises_an_alert_with_its_explanation(app, db):
    from tracker.metrics.anonymise import period_start

    today = date(2026, 6, 17)
    current = period_start(today, "week")
    for n, count in zip(range(1, 9), [3, 4, 2, 5, 3, 2, 3, 3]):
        for _ in range(count):
            add_report(occurred_on=_weeks_ago(today, n), region="XV0302", unit="BN12")
    for _ in range(12):
        add_report(occurred_on=today, region="XV0302", unit="BN12")
    db.session.commit()
    f = Filters("week", current, current, province_id=None)
    found = alerts.count_alerts(_scope(db), f, current, 10, region_level=2, labels={("region", 0): ""})
    region_alerts = [a for a in found if a.subject == "region"]
    assert len(region_alerts) == 1
    a = region_alerts[0]
    base = [3, 4, 2, 5, 3, 2]  # weeks 1..6 before
    assert a.count == 12
    assert a.baseline == pytest.approx(sum(base) / 6)
    assert a.p_value == pytest.approx(stats.poisson.sf(11, sum(base) / 6))
    assert "12 reports this week" in a.explanation and "average of 3.2" in a.explanation
    assert "2026-W25" == a.period_label


def test_an_alert_never_shows_a_hidden_count(app, db):
    from tracker.metrics.anonymise import period_start

    today = date(2026, 6, 17)
    current = period_start(today, "week")
    add_report(occurred_on=_weeks_ago(today, 9), region="XV0101")  # history exists
    for _ in range(5):
        add_report(occurred_on=today, region="XV0101", unit="SF1")
    db.session.commit()
    f = Filters("week", current, current)
    found = alerts.count_alerts(_scope(db), f, current, 10, region_level=2, labels={})
    assert found, "5 reports after six empty weeks should raise an alert"
    for a in found:
        assert a.count is None and a.p_value is None and a.baseline is None
        assert "fewer than 10" in a.explanation
        assert "5" not in a.explanation


def test_no_alert_without_six_periods_of_history(app, db):
    from tracker.metrics.anonymise import period_start

    today = date(2026, 6, 17)
    for _ in range(30):
        add_report(occurred_on=today, region="XV0101")
    db.session.commit()
    current = period_start(today, "week")
    assert alerts.count_alerts(_scope(db), Filters("week", current, current), current, 10, region_level=2, labels={}) == []


def test_trust_drop_beyond_the_combined_uncertainty(app, db):
    for _ in range(50):
        add_pulse(region="XV0201", month=date(2026, 5, 1), respect=5, voice=5, fairness=4, safe_to_report=5)
        add_pulse(region="XV0201", month=date(2026, 6, 1), respect=2, voice=1, fairness=2, safe_to_report=2)
        add_pulse(region="XV0101", month=date(2026, 5, 1), respect=3, voice=3)
        add_pulse(region="XV0101", month=date(2026, 6, 1), respect=3, voice=4)
    db.session.commit()
    found = alerts.trust_alerts(date(2026, 6, 1), region_level=1, province_id=None, labels={})
    assert len(found) == 1 and found[0].kind == "trust"
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
