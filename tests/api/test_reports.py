"""POST /api/v1/reports: 201 with a receipt, 400 field by field, 413, idempotency."""
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from tests.fixtures.factories import DROP
from tracker.audit.models import AuditEvent
from tracker.cases.models import Case
from tracker.core.db import utcnow
from tracker.intake.models import Report


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_valid_report_gets_a_receipt_and_a_case(api, db, report_payload):
    r = api.post("/reports", report_payload())
    assert r.status_code == 201
    body = r.get_json()
    assert set(body) == {"receipt", "receipt_display", "status"}
    assert len(body["receipt"]) == 16 and body["receipt"].isdigit()
    assert body["receipt_display"] == " ".join(body["receipt"][i:i + 4] for i in (0, 4, 8, 12))
    assert body["status"] == "new"
    assert count(db, Report) == 1 and count(db, Case) == 1
    report = db.session.scalar(sa.select(Report))
    assert report.narrative == "Soldiers came at night and beat two men."
    assert (report.latitude, report.longitude) == (12.35, -71.99)  # rounded on the server
    assert report.filed_by_user_id is None  # the API is anonymous
    # The receipt itself is never stored or audited.
    assert body["receipt"] not in json.dumps([e.data for e in db.session.scalars(sa.select(AuditEvent))])
    assert r.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in r.headers


def test_minimal_report_is_enough(api, db):
    today = utcnow().date().isoformat()
    r = api.post("/reports", {"categories": ["threats"], "occurred_on": today, "region": "XV01"})
    assert r.status_code == 201, r.get_json()


def test_month_precision_accepts_year_month(api, db, report_payload):
    month = utcnow().date().strftime("%Y-%m")
    r = api.post("/reports", report_payload(occurred_on=month, occurred_on_precision="month"))
    assert r.status_code == 201, r.get_json()
    assert db.session.scalar(sa.select(Report.occurred_on)).day == 1


def _future(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


INVALID = [
    # (overrides, field at fault)
    ({"categories": DROP}, "categories"),
    ({"categories": []}, "categories"),
    ({"categories": "threats"}, "categories"),
    ({"categories": ["threats", "bombing"]}, "categories"),
    ({"categories": [1]}, "categories"),
    ({"occurred_on": DROP}, "occurred_on"),
    ({"occurred_on": "2026-13-45"}, "occurred_on"),
    ({"occurred_on": "yesterday"}, "occurred_on"),
    ({"occurred_on": 20260101}, "occurred_on"),
    ({"occurred_on": "1900-01-01"}, "occurred_on"),
    ({"occurred_on_precision": "year"}, "occurred_on_precision"),
    ({"part_of_day": "dawn"}, "part_of_day"),
    ({"region": DROP}, "region"),
    ({"region": "ZZ9999"}, "region"),
    ({"region": "XV"}, "region"),  # the whole country is too vague
    ({"region": 101}, "region"),
    ({"latitude": 91}, "latitude"),
    ({"longitude": -181}, "longitude"),
    ({"latitude": "12.3"}, "latitude"),
    ({"longitude": DROP}, "longitude"),  # both or neither
    ({"force": "MARINES"}, "force"),
    ({"unit": "CG2"}, "unit"),  # a navy unit with the army
    ({"operation": "OP-NOPE"}, "operation"),
    ({"narrative": "x" * 20001}, "narrative"),
    ({"narrative": 5}, "narrative"),
    ({"place_description": "x" * 501}, "place_description"),
    ({"harm": "many"}, "harm"),
    ({"harm": {"killed": "3"}}, "harm.killed"),
    ({"harm": {"killed": -1}}, "harm.killed"),
    ({"harm": {"injured": 100001}}, "harm.injured"),
    ({"harm": {"detained": True}}, "harm.detained"),
    ({"harm": {"missing": 1.5}}, "harm.missing"),
    ({"harm": {"displaced_households": [2]}}, "harm.displaced_households"),
    ({"harm": {"property_damaged": "yes"}}, "harm.property_damaged"),
    ({"victims": {"children": 1}}, "victims.children"),
    ({"relationship": "cousin"}, "relationship"),
    ({"needs": ["food"]}, "needs"),
    ({"needs": "medical"}, "needs"),
    ({"consent": {"statistics": "no"}}, "consent.statistics"),
    ({"contact": {"phone": 5550101}}, "contact.phone"),
    ({"pulse": {"respect": 6}}, "pulse.respect"),
    ({"pulse": {"voice": 0}}, "pulse.voice"),
    ({"pulse": {"safety": "4"}}, "pulse.safety"),
    ({"language": "de"}, "language"),
    ({"idempotency_key": "k" * 201}, "idempotency_key"),
]


@pytest.mark.parametrize("overrides,field", INVALID, ids=[f"{f}-{i}" for i, (_o, f) in enumerate(INVALID)])
def test_invalid_field_gives_400_with_that_field(api, db, report_payload, overrides, field):
    r = api.post("/reports", report_payload(**overrides))
    assert r.status_code == 400
    body = r.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert field in body["errors"], body
    assert isinstance(body["errors"][field], str) and body["errors"][field]
    assert count(db, Report) == 0


@pytest.mark.parametrize("days", [2, 30, 400])
def test_future_date_is_refused(api, db, report_payload, days):
    r = api.post("/reports", report_payload(occurred_on=_future(days)))
    assert r.status_code == 400
    assert "occurred_on" in r.get_json()["errors"]


def test_several_errors_are_reported_together(api, db, report_payload):
    r = api.post("/reports", report_payload(categories=["nope"], region="ZZ", harm={"killed": "3"}))
    assert r.status_code == 400
    assert {"categories", "region", "harm.killed"} <= set(r.get_json()["errors"])


@pytest.mark.parametrize("raw", ["[]", '"report"', "1", "null", "true", '[{"categories": ["threats"]}]'])
def test_body_that_is_not_an_object_gives_400(api, db, raw):
    r = api.raw("/reports", raw)
    assert r.status_code == 400
    assert "request" in r.get_json()["errors"]


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "",
        "{'categories': ['threats']}",
        '{"harm": {"killed": NaN}}',
        '{"latitude": Infinity}',
        b"\xff\xfe{}",
        '{"narrative": "\\ud800"}',  # a lone surrogate cannot be stored as UTF-8
        "[" * 100000 + "]" * 100000,
    ],
    ids=["truncated", "empty", "single-quotes", "nan", "infinity", "not-utf8", "lone-surrogate", "deep-nesting"],
)
def test_invalid_json_gives_400(api, db, app, raw):
    app.config["MAX_JSON_BYTES"] = 1_000_000  # let the deep nesting reach the parser
    r = api.raw("/reports", raw)
    assert r.status_code == 400
    assert r.is_json and "request" in r.get_json()["errors"]
    assert count(db, Report) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_wrong_content_type_gives_400(api, db, report_payload, content_type):
    r = api.raw("/reports", json.dumps(report_payload()), content_type=content_type)
    assert r.status_code == 400
    assert "request" in r.get_json()["errors"]
    assert count(db, Report) == 0


def test_json_with_charset_is_accepted(api, db, report_payload):
    r = api.raw("/reports", json.dumps(report_payload()), content_type="application/json; charset=utf-8")
    assert r.status_code == 201


def test_oversized_body_gives_413_json(api, db, app, report_payload):
    limit = app.config["MAX_JSON_BYTES"]
    r = api.post("/reports", report_payload(narrative="x" * (limit + 10)))
    assert r.status_code == 413
    assert r.is_json and r.get_json()["error"]
    assert count(db, Report) == 0


def test_oversized_body_without_length_gives_413(api, db, app, report_payload):
    """A chunked upload has no Content-Length: the bytes read are counted."""
    import io

    limit = app.config["MAX_JSON_BYTES"]
    data = json.dumps(report_payload(narrative="x" * (limit + 10))).encode()
    r = api.client.post(
        "/api/v1/reports",
        input_stream=io.BytesIO(data),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert r.status_code == 413
    assert r.is_json
    assert count(db, Report) == 0


def test_body_over_the_upload_limit_is_json_not_html(api, db, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    app.config["MAX_JSON_BYTES"] = 10_000
    r = api.raw("/reports", "{" + " " * 5000 + "}")
    assert r.status_code == 413
    assert r.is_json


def test_retry_with_same_idempotency_key_returns_same_receipt(api, db, report_payload):
    first = api.post("/reports", report_payload(idempotency_key="phone-42-report-1"))
    again = api.post("/reports", report_payload(idempotency_key="phone-42-report-1"))
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["receipt"] == first.get_json()["receipt"]
    assert count(db, Report) == 1 and count(db, Case) == 1
    other = api.post("/reports", report_payload(idempotency_key="phone-42-report-2"))
    assert other.status_code == 201
    assert other.get_json()["receipt"] != first.get_json()["receipt"]
    assert count(db, Report) == 2


def test_without_idempotency_key_each_post_is_a_new_report(api, db, report_payload):
    a = api.post("/reports", report_payload())
    b = api.post("/reports", report_payload())
    assert a.get_json()["receipt"] != b.get_json()["receipt"]
    assert count(db, Report) == 2


def _expected(lang: str, message: str) -> str:
    with force_locale(lang):
        return gettext(message)


@pytest.mark.parametrize("lang", ["es", "fr", "ar"])
def test_errors_follow_the_language_field(api, db, report_payload, lang):
    r = api.post("/reports", report_payload(language=lang, region="ZZ"))
    assert r.status_code == 400
    body = r.get_json()
    assert body["error"] == _expected(lang, "Some fields need attention.")
    assert body["errors"]["region"] == _expected(lang, "Unknown place. Please choose it from the list.")


def test_errors_follow_lang_query_then_accept_language(api, db, report_payload):
    r = api.post("/reports?lang=fr", report_payload(language=DROP, region="ZZ"))
    assert r.get_json()["error"] == _expected("fr", "Some fields need attention.")
    assert "Set-Cookie" not in r.headers  # ?lang= is not remembered by the API
    r = api.post("/reports", report_payload(language=DROP, region="ZZ"), headers={"Accept-Language": "ar,en;q=0.5"})
    assert r.get_json()["error"] == _expected("ar", "Some fields need attention.")


def test_submission_is_rate_limited_with_json_429(limited_api, app, db, report_payload):
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    assert limited_api.post("/reports", report_payload()).status_code == 201
    assert limited_api.post("/reports", report_payload()).status_code == 201
    r = limited_api.post("/reports", report_payload())
    assert r.status_code == 429
    assert r.is_json and r.get_json()["error"]
    assert count(db, Report) == 2


def test_get_is_not_allowed_and_answers_json(api):
    r = api.client.get("/api/v1/reports")
    assert r.status_code == 405
    assert r.is_json


def test_unknown_api_path_is_json_404(api):
    r = api.post("/nothing-here", {})
    assert r.status_code == 404
    assert r.is_json


def test_api_needs_no_csrf_token(api, app, db, report_payload):
    """CSRF is on for the HTML forms, off for the cookie-less JSON API."""
    assert app.config["WTF_CSRF_ENABLED"]
    r = api.post("/reports", report_payload())
    assert r.status_code == 201
