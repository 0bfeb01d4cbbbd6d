"""validate_report: the one set of rules behind the form and the API."""
from datetime import date, timedelta

import pytest

from tests.fixtures.factories import DROP
from tracker.core.db import utcnow
from tracker.intake.schema import validate_followup, validate_message, validate_pulse, validate_report


def ok(raw, strict=True):
    data, errors = validate_report(raw, strict_types=strict)
    assert errors == {}
    return data


def err(raw, strict=True):
    data, errors = validate_report(raw, strict_types=strict)
    assert data is None
    assert errors
    return errors


def test_valid_payload_gives_clean_data(app, report_payload):
    data = ok(report_payload())
    assert data.categories == ["assault", "property_destruction"]
    assert data.region_pcode == "XV0101"
    assert data.force_code == "ARMY" and data.unit_code == "BDE4" and data.operation_code == "OP-CLEAN-RIVER"
    assert data.injured == 2 and data.property_damaged is True
    assert data.victims["women"] is True
    assert data.contact == {"name": "Amina", "phone": "+000 555 0101", "safe_times": "Evenings"}
    assert data.consent_statistics is True


def test_only_ticked_boxes_are_enough(app):
    data = ok({"categories": ["threats"], "occurred_on": "2025-05-02", "region": "XV02"})
    assert data.narrative is None and data.force_id is None and data.killed is None  # blank harm is unknown, not 0 (issue 9)
    assert data.consent_statistics is True  # counted in statistics by default
    assert data.pulse is None and data.contact is None


@pytest.mark.parametrize(
    "override, path, fragment",
    [
        ({"categories": []}, "categories", "at least one"),
        ({"categories": DROP}, "categories", "at least one"),
        ({"categories": ["killing", "flying"]}, "categories", "flying"),
        ({"occurred_on": DROP}, "occurred_on", "date"),
        ({"occurred_on": "14/03/2026"}, "occurred_on", "year-month-day"),
        ({"occurred_on": "2026-02-30"}, "occurred_on", "year-month-day"),
        ({"occurred_on": "1989-12-31"}, "occurred_on", "too long ago"),
        ({"occurred_on_precision": "year"}, "occurred_on_precision", "month"),
        ({"part_of_day": "dawnish"}, "part_of_day", "part of the day"),
        ({"region": DROP}, "region", "where"),
        ({"region": "XV9999"}, "region", "Unknown place"),
        ({"region": "XV"}, "region", "not the whole country"),
        ({"force": "MARTIANS"}, "force", "Unknown force"),
        ({"force": "POLICE", "unit": "BDE4"}, "unit", "does not belong"),
        ({"unit": "NOPE"}, "unit", "Unknown unit"),
        ({"operation": "OP-NONE"}, "operation", "Unknown operation"),
        ({"latitude": 91}, "latitude", "-90"),
        ({"longitude": -180.5}, "longitude", "180"),
        ({"latitude": DROP}, "latitude", "both"),
        ({"harm": {"killed": -1}}, "harm.killed", "0 to 100000"),
        ({"harm": {"injured": 100001}}, "harm.injured", "0 to 100000"),
        ({"harm": {"injured": 10**5000}}, "harm.injured", "0 to 100000"),
        ({"narrative": "x" * 20001}, "narrative", "20000"),
        ({"place_description": "x" * 501}, "place_description", "500"),
        ({"unit_description": "x" * 501}, "unit_description", "500"),
        ({"relationship": "cousin"}, "relationship", "Unknown choice"),
        ({"needs": ["medical", "money"]}, "needs", "Unknown choice"),
        ({"pulse": {"respect": 6}}, "pulse.respect", "1 to 5"),
        ({"pulse": {"safety": 0}}, "pulse.safety", "1 to 5"),
        ({"language": "xx"}, "language", "Unknown language"),
        ({"contact": {"phone": "1" * 501}}, "contact.phone", "500"),
        ({"idempotency_key": "k" * 201}, "idempotency_key", "200"),
    ],
)
def test_each_rule_has_a_clear_message(app, report_payload, override, path, fragment):
    errors = err(report_payload(**override))
    assert path in errors, errors
    assert fragment in errors[path]


def test_future_dates_are_refused_but_tomorrow_is_tolerated(app, report_payload):
    today = utcnow().date()
    assert "occurred_on" in err(report_payload(occurred_on=(today + timedelta(days=2)).isoformat()))
    assert "future" in err(report_payload(occurred_on="2999-01-01"))["occurred_on"]
    ok(report_payload(occurred_on=today.isoformat()))
    ok(report_payload(occurred_on=(today + timedelta(days=1)).isoformat()))


def test_month_precision_accepts_year_month_and_stores_the_first(app, report_payload):
    assert ok(report_payload(occurred_on="2025-07", occurred_on_precision="month")).occurred_on == date(2025, 7, 1)
    assert ok(report_payload(occurred_on="2025-07-19", occurred_on_precision="month")).occurred_on == date(2025, 7, 1)
    # a month alone is not enough for an exact day
    assert "occurred_on" in err(report_payload(occurred_on="2025-07"))


def test_province_and_maritime_zone_are_acceptable_places(app, report_payload):
    assert ok(report_payload(region="XV03")).region_pcode == "XV03"
    assert ok(report_payload(region="XV0402")).region_pcode == "XV0402"


def test_coordinates_are_rounded_to_two_decimals(app, report_payload):
    data = ok(report_payload(latitude=12.345678, longitude=-71.98765))
    assert (data.latitude, data.longitude) == (12.35, -71.99)


def test_unit_alone_fills_in_its_force(app, report_payload):
    data = ok(report_payload(force=DROP, unit="CG2"))
    assert data.force_code == "NAVY"


@pytest.mark.parametrize(
    "override, path",
    [
        ({"harm": {"killed": "3"}}, "harm.killed"),
        ({"harm": {"killed": True}}, "harm.killed"),
        ({"harm": {"killed": 2.5}}, "harm.killed"),
        ({"harm": {"property_damaged": "yes"}}, "harm.property_damaged"),
        ({"harm": [1, 2]}, "harm"),
        ({"victims": "children"}, "victims"),
        ({"victims": {"children": 1}}, "victims.children"),
        ({"categories": "killing"}, "categories"),
        ({"categories": [1, 2]}, "categories"),
        ({"needs": {"medical": True}}, "needs"),
        ({"consent": {"statistics": "false"}}, "consent.statistics"),
        ({"latitude": "12.3"}, "latitude"),
        ({"latitude": True}, "latitude"),
        ({"region": ["XV0101"]}, "region"),
        ({"region": {"code": "XV0101"}}, "region"),
        ({"narrative": 42}, "narrative"),
        ({"occurred_on": 20260101}, "occurred_on"),
        ({"pulse": {"respect": "4"}}, "pulse.respect"),
        ({"contact": "Amina 555"}, "contact"),
    ],
)
def test_strict_types_refuse_wrong_json_types(app, report_payload, override, path):
    errors = err(report_payload(**override))
    assert path in errors, errors


def test_form_strings_are_converted_when_not_strict(app):
    raw = {
        "categories": ["killing"],
        "occurred_on": "2025-01-02",
        "region": "XV0201",
        "latitude": " 1.234 ",
        "longitude": "2.345",
        "harm": {"killed": "3", "injured": "", "property_damaged": "y"},
        "victims": {"children": "on", "women": ""},
        "consent": {"contact": "", "statistics": "y"},
        "pulse": {"respect": "4", "voice": "", "safety": "na"},
        "needs": "legal",
    }
    data = ok(raw, strict=False)
    assert (data.killed, data.injured, data.property_damaged) == (3, None, True)  # "" is unknown, not 0
    assert data.victims["children"] is True and data.victims["women"] is False
    assert (data.latitude, data.longitude) == (1.23, 2.35)
    assert data.pulse == {"respect": 4, "voice": None, "fairness": None, "safe_to_report": None, "safety": None}
    assert data.needs == ["legal"]
    errors = err({**raw, "harm": {"killed": "three"}}, strict=False)
    assert errors["harm.killed"] == "This must be a whole number."


def test_contact_details_are_dropped_without_consent(app, report_payload):
    data = ok(report_payload(consent={"contact": False}))
    assert data.contact is None
    # ... and bad contact details do not block a report that does not consent
    data = ok(report_payload(consent={"contact": False}, contact={"phone": "9" * 900}))
    assert data.contact is None


def test_all_pulse_answers_skipped_means_no_pulse(app, report_payload):
    assert ok(report_payload(pulse={"respect": None})).pulse is None
    assert ok(report_payload(pulse={"respect": 2})).pulse["respect"] == 2


@pytest.mark.parametrize(
    "raw",
    [None, [], "text", 3, {"categories": None, "harm": None}, {"categories": [[], {}], "region": None},
     {"harm": {"killed": {"a": 1}}, "pulse": [None], "consent": 5, "contact": [], "language": ["en"],
      "occurred_on": None, "occurred_on_precision": ["day"], "latitude": float("nan"), "longitude": float("inf"),
      "idempotency_key": 7, "needs": [None]},
     {"occurred_on": "9999-99-99", "occurred_on_precision": "month", "part_of_day": 1, "force": 2, "unit": 3,
      "operation": {}, "relationship": []}],
)
@pytest.mark.parametrize("strict", [True, False])
def test_never_raises_on_any_shape(app, raw, strict):
    data, errors = validate_report(raw, strict_types=strict)
    assert data is None and errors
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())


def test_error_messages_are_translated_at_call_time(app, report_payload):
    from flask_babel import force_locale

    with app.test_request_context("/?lang=fr"), force_locale("fr"):
        _, errors = validate_report(report_payload(region="XV9999"), strict_types=True)
    # The catalogs are filled in at the end of the project; until then the
    # message is the English source, but it must be a real string, not lazy.
    assert isinstance(errors["region"], str)


def test_validate_pulse(app):
    data, errors = validate_pulse({"region": "XV0101", "respect": 5, "voice": None, "safety": 2}, strict_types=True)
    assert errors == {} and data.answers["respect"] == 5 and data.answers["voice"] is None
    _, errors = validate_pulse({"region": "XV0101"}, strict_types=True)
    assert "at least one" in errors["respect"]
    _, errors = validate_pulse({"region": "nowhere", "fairness": 7}, strict_types=True)
    assert "region" in errors and "fairness" in errors
    _, errors = validate_pulse({"region": "XV0101", "fairness": "3"}, strict_types=True)
    assert "fairness" in errors
    data, errors = validate_pulse({"region": "XV0101", "fairness": "3"}, strict_types=False)
    assert data.answers["fairness"] == 3
    assert validate_pulse("nope", strict_types=True)[0] is None


def test_validate_message(app):
    assert validate_message("  hello ", strict_types=True) == ("hello", {})
    assert "write" in validate_message("   ", strict_types=True)[1]["body"]
    assert "body" in validate_message(None, strict_types=True)[1]
    assert "body" in validate_message(["x"], strict_types=True)[1]
    assert "20000" in validate_message("x" * 20001, strict_types=True)[1]["body"]


def test_every_error_message_can_be_produced(app, db, report_payload):
    """Each message written in schema.py and in the field types it uses
    (tracker/core/fields.py) is reachable by some bad input."""
    import pathlib
    import re

    import sqlalchemy as sa

    from tracker.reference.models import Force, Unit

    # An ambiguous unit code (two forces use "DUP") for the "choose the force" message.
    for code in ("ARMY", "NAVY"):
        force = db.session.scalar(sa.select(Force).where(Force.code == code))
        db.session.add(Unit(force=force, code="DUP", names={"en": "Dup"}))
    db.session.flush()

    source = pathlib.Path("tracker/intake/schema.py").read_text() + pathlib.Path("tracker/core/fields.py").read_text()
    messages = set(re.findall(r'\b_l?\(\s*"((?:[^"\\]|\\.)+)"', source))
    assert len(messages) > 25
    bad_inputs = [
        None,
        {"categories": []},
        {"categories": ["nope"], "occurred_on": "2026-99-01", "occurred_on_precision": "month"},
        {"occurred_on": "x"},
        {"occurred_on": "2999-01-01"},
        {"occurred_on": "1900-01-01"},
        {"occurred_on_precision": "decade", "part_of_day": "x", "region": "XV", "latitude": 1},
        {"region": "ZZ", "force": "ZZ", "operation": "ZZ", "relationship": "x", "language": "xx"},
        {"force": "POLICE", "unit": "BDE4"},
        {"unit": "ZZZ"},
        {"unit": "DUP"},
        {"harm": [], "narrative": 5, "categories": "killing", "latitude": "a", "needs": [3]},
        {"harm": {"killed": -1, "injured": "1", "property_damaged": "y"}, "latitude": 100, "place_description": "x" * 600},
        {"pulse": {"respect": 9}},
        {"consent": {"contact": False}, "contact": {"phone": "555 0101"}},
    ]
    produced = []
    for raw in bad_inputs:
        for strict in (True, False):
            produced += list(validate_report(raw, strict_types=strict)[1].values())
    produced += list(validate_pulse({"region": "XV0101"}, strict_types=True)[1].values())
    produced += list(validate_pulse([], strict_types=True)[1].values())
    produced += list(validate_pulse({"respect": 2}, strict_types=True)[1].values())
    produced += list(validate_message("", strict_types=True)[1].values())
    produced += list(validate_followup({}, message=False)[1].values())
    produced += list(validate_followup({"receipt": "12"}, message=True)[1].values())
    missing = []
    for msgid in messages:
        pattern = re.escape(msgid.replace('\\"', '"'))
        pattern = re.sub(r"%\\\(\w+\\\)s", ".+", pattern)
        if not any(re.fullmatch(pattern, p) for p in produced):
            missing.append(msgid)
    assert missing == []
