import random
from datetime import timedelta

import pytest

from tests.metrics.rows import add_pulse, add_report


@pytest.fixture
def trend_data(app, db):
    """A year of ARMY and NAVY reports, a burst in Cerro Azul this week by
    SF1 (an alert), and enough survey answers for a trust index."""
    from tracker.core.db import utcnow

    rng = random.Random(4)
    today = utcnow().date()
    for _ in range(300):
        d = today - timedelta(days=rng.randint(14, 330))
        add_report(
            occurred_on=d,
            region=rng.choice(["XV0101", "XV0102", "XV0201", "XV0302"]),
            unit=rng.choice(["BDE4", "BN12", None]),
            categories=rng.sample(["assault", "threats", "killing", "illegal_search"], 2),
            killed=rng.choice([0, 0, 1]),
            victims_children=rng.random() < 0.3,
        )
    for _ in range(60):
        d = today - timedelta(days=rng.randint(14, 330))
        add_report(occurred_on=d, region="XV0402", force="NAVY", unit="CG2", categories=("killing",))
    for _ in range(14):
        add_report(occurred_on=today, region="XV0302", unit="SF1", categories=("torture",))
    for _ in range(120):
        add_pulse(region=rng.choice(["XV0101", "XV0302"]), month=today.replace(day=1),
                  respect=rng.randint(1, 5), voice=rng.randint(1, 5), safety=rng.randint(1, 5))
    db.session.commit()
    return today
