import random
from datetime import date, datetime, time, timedelta

import pytest

from tests.fixtures.snapshot import build_snapshot
from tests.metrics.rows import add_pulse, add_report

# The first day of a month (the case issue 7 names): November's release
# month (ISO weeks 45-48, 2 to 29 November, and the calendar month) has
# just closed.
TODAY = date(2026, 12, 1)
BURST_DAY = date(2026, 11, 25)  # a Wednesday of ISO week 48, the last week of November


def publish(db, today=TODAY):
    """What the nightly ``flask --app tracker release`` does."""
    from tracker.metrics.release import publish_due

    published = publish_due(today, now=datetime.combine(today, time(2, 0)))  # the nightly run, at 02:00
    db.session.commit()
    return published


def build_trend_data(db):
    """A year of ARMY (1,500 at random, about 30 a week: enough that most
    weekly and monthly figures can be published) and NAVY (132, 12 in each month) reports, a burst in Cerro Azul in the last
    week of November by SF1 (an alert), enough survey answers for a trust
    index, and the releases published on 1 December."""
    rng = random.Random(4)
    for _ in range(1500):
        d = TODAY - timedelta(days=rng.randint(2, 330))
        add_report(
            occurred_on=d,
            region=rng.choice(["XV0101", "XV0102", "XV0201", "XV0302"]),
            unit=rng.choice(["BDE4", "BN12", None]),
            categories=rng.sample(["assault", "threats", "killing", "illegal_search"], 2),
            killed=rng.choice([0, 0, 1]),
            victims_children=rng.random() < 0.3,
        )
    for month in range(1, 12):  # 12 a month, so that no NAVY month total is small
        for _ in range(12):
            add_report(occurred_on=date(2026, month, 14), region="XV0402", force="NAVY", unit="CG2",
                       categories=("killing",))
    for _ in range(14):
        add_report(occurred_on=BURST_DAY, region="XV0302", unit="SF1", categories=("torture",))
    for _ in range(120):
        add_pulse(region=rng.choice(["XV0101", "XV0302"]), month=date(2026, 11, 1),
                  respect=rng.randint(1, 5), voice=rng.randint(1, 5), safety=rng.randint(1, 5))
    db.session.commit()
    publish(db)


@pytest.fixture(scope="session")
def _trend_snapshot(_postgres_schema):
    """``build_trend_data`` run once for the session (it takes seconds: 1,646
    reports through the ORM and a release), saved with every row."""
    snapshot = build_snapshot("trend_data", build_trend_data, on_postgres=_postgres_schema)
    yield snapshot
    snapshot.drop()


@pytest.fixture
def trend_data(app, db, _trend_snapshot):
    """The test's database holds exactly what ``build_trend_data`` writes
    (a copy of the session's build, restored over the fresh database: what
    a test writes stays in its own copy)."""
    _trend_snapshot.restore(db)
    return TODAY
