"""POST /api/v1/pulse: a standalone trust pulse."""
import pytest
import sqlalchemy as sa

from tracker.core.db import utcnow
from tracker.intake.models import PulseResponse


def test_pulse_is_recorded_by_region_and_month(api, db):
    r = api.post("/pulse", {"region": "XV0301", "respect": 2, "voice": 1, "fairness": 3,
                            "safe_to_report": None, "safety": 4, "language": "ar"})
    assert r.status_code == 201
    assert r.get_json() == {"status": "recorded"}
    row = db.session.scalar(sa.select(PulseResponse))
    assert row.region.pcode == "XV0301"
    assert row.month == utcnow().date().replace(day=1)
    assert row.source == "standalone"
    assert (row.respect, row.voice, row.fairness, row.safe_to_report, row.safety) == (2, 1, 3, None, 4)
    assert row.language == "ar"


def test_province_is_enough(api, db):
    assert api.post("/pulse", {"region": "XV02", "safety": 5}).status_code == 201


@pytest.mark.parametrize(
    "body,field",
    [
        ({"respect": 3}, "region"),
        ({"region": "ZZ", "respect": 3}, "region"),
        ({"region": "XV", "respect": 3}, "region"),
        ({"region": "XV01", "respect": 6}, "respect"),
        ({"region": "XV01", "voice": 0}, "voice"),
        ({"region": "XV01", "fairness": "3"}, "fairness"),
        ({"region": "XV01", "safe_to_report": True}, "safe_to_report"),
        ({"region": "XV01", "safety": 2.5}, "safety"),
        ({"region": "XV01"}, "respect"),  # at least one answer
        ({"region": "XV01", "respect": None, "voice": None}, "respect"),
        ({"region": "XV01", "respect": 3, "language": "xx"}, "language"),
    ],
)
def test_invalid_pulse_is_400(api, db, body, field):
    r = api.post("/pulse", body)
    assert r.status_code == 400
    assert field in r.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseResponse)) == 0


def test_pulse_body_must_be_an_object(api, db):
    r = api.raw("/pulse", "[3, 4, 5]")
    assert r.status_code == 400
    assert "request" in r.get_json()["errors"]


def test_pulse_is_rate_limited(limited_api, app, db):
    app.config["RATELIMIT_PULSE"] = "2 per hour"
    for _ in range(2):
        assert limited_api.post("/pulse", {"region": "XV01", "respect": 3}).status_code == 201
    r = limited_api.post("/pulse", {"region": "XV01", "respect": 3})
    assert r.status_code == 429 and r.is_json
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseResponse)) == 2
