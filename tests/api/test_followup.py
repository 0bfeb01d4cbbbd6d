"""POST /api/v1/followup and /api/v1/followup/messages."""
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tracker.audit.models import AuditEvent
from tracker.cases.models import STATES
from tracker.core.db import utcnow
from tracker.extensions import db as _db
from tracker.intake.models import Message


@pytest.fixture
def filed(api, report_payload):
    r = api.post("/reports", report_payload(language="es"))
    assert r.status_code == 201
    return r.get_json()["receipt"]


def _officer_message(receipt_report_id, body="Could you tell us the time?"):
    msg = Message(report_id=receipt_report_id, sender="officer", created_at=utcnow())
    msg.body = body
    _db.session.add(msg)
    _db.session.commit()


def test_followup_shows_status_and_messages(api, db, filed):
    from tracker.intake.services import lookup_report

    report = lookup_report(filed)
    _officer_message(report.id)
    r = api.post("/followup", {"receipt": filed})
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"status", "status_label", "messages"}
    assert body["status"] == "new"
    assert body["status_label"] == "New"
    assert body["messages"] == [
        {"from": "officer", "body": "Could you tell us the time?", "sent_on": utcnow().date().isoformat()}
    ]
    assert r.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("lang", ["es", "fr", "ar"])
def test_status_label_in_the_requested_language(api, db, filed, lang):
    r = api.post("/followup", {"receipt": filed, "language": lang})
    with force_locale(lang):
        expected = str(STATES["new"])
    assert r.get_json()["status_label"] == expected


@pytest.mark.parametrize("typed", ["{0} {1} {2} {3}", "{0}-{1}-{2}-{3}", " {0}{1}{2}{3} "])
def test_receipt_may_be_typed_with_separators(api, db, filed, typed):
    groups = [filed[i:i + 4] for i in (0, 4, 8, 12)]
    r = api.post("/followup", {"receipt": typed.format(*groups)})
    assert r.status_code == 200


def test_receipt_in_arabic_indic_digits(api, db, filed):
    arabic = "".join(chr(0x0660 + int(d)) for d in filed)
    assert api.post("/followup", {"receipt": arabic}).status_code == 200


def test_unknown_receipt_is_404(api, db, filed):
    wrong = ("1" if filed[0] != "1" else "2") + filed[1:]
    r = api.post("/followup", {"receipt": wrong})
    assert r.status_code == 404
    assert r.is_json and r.get_json()["error"]


@pytest.mark.parametrize("receipt", [None, "", "12345", "abcd efgh ijkl mnop", 1234567812345678, ["1"], {"a": 1}])
def test_unreadable_receipt_is_400(api, db, receipt):
    body = {} if receipt is None else {"receipt": receipt}
    r = api.post("/followup", body)
    assert r.status_code == 400
    assert "receipt" in r.get_json()["errors"]


def test_non_object_body_is_400(api, db):
    r = api.raw("/followup", '"1234567812345678"')
    assert r.status_code == 400
    assert "request" in r.get_json()["errors"]


def test_reporter_adds_a_message(api, db, filed):
    r = api.post("/followup/messages", {"receipt": filed, "body": "  It was the 12th battalion.  "})
    assert r.status_code == 201
    body = r.get_json()
    assert body == {"from": "reporter", "body": "It was the 12th battalion.",
                    "sent_on": utcnow().date().isoformat(), "status": "new"}
    view = api.post("/followup", {"receipt": filed}).get_json()
    assert view["messages"][-1]["from"] == "reporter"
    assert view["messages"][-1]["body"] == "It was the 12th battalion."
    from tracker.intake.services import lookup_report

    report = lookup_report(filed)
    assert report.case.has_news  # the officer sees there is something new
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "message.reporter" in actions


@pytest.mark.parametrize("text", [None, "", "   ", 42, ["x"], "x" * 20001])
def test_bad_message_body_is_400(api, db, filed, text):
    body = {"receipt": filed} if text is None else {"receipt": filed, "body": text}
    r = api.post("/followup/messages", body)
    assert r.status_code == 400
    assert "body" in r.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_bad_receipt_and_body_are_reported_together(api, db):
    r = api.post("/followup/messages", {"receipt": "12", "body": ""})
    assert r.status_code == 400
    assert {"receipt", "body"} <= set(r.get_json()["errors"])


def test_message_to_unknown_receipt_is_404(api, db, filed):
    wrong = ("1" if filed[0] != "1" else "2") + filed[1:]
    r = api.post("/followup/messages", {"receipt": wrong, "body": "hello"})
    assert r.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_wrong_receipts_are_rate_limited_but_right_ones_do_not_count(limited_api, app, db, report_payload):
    app.config["RATELIMIT_FOLLOWUP"] = "3 per hour"
    receipt = limited_api.post("/reports", report_payload()).get_json()["receipt"]
    for _ in range(5):  # successful lookups use up nothing
        assert limited_api.post("/followup", {"receipt": receipt}).status_code == 200
    wrong = ("1" if receipt[0] != "1" else "2") + receipt[1:]
    for _ in range(3):
        assert limited_api.post("/followup", {"receipt": wrong}).status_code == 404
    # Guessing is blocked, for the right receipt too and for messages.
    r = limited_api.post("/followup", {"receipt": receipt})
    assert r.status_code == 429
    assert r.is_json and r.get_json()["error"]
    assert limited_api.post("/followup/messages", {"receipt": receipt, "body": "hi"}).status_code == 429


@pytest.mark.parametrize("path,extra", [("/followup", {}), ("/followup/messages", {"body": "hello"})])
@pytest.mark.parametrize("lang,ok", [("de", False), (5, False), (["ar"], False), ("", True), (None, True), ("fr", True)])
def test_language_must_be_one_we_ship(api, db, filed, path, extra, lang, ok):
    r = api.post(path, {"receipt": filed, "language": lang, **extra})
    if ok:
        assert r.status_code in (200, 201)
    else:
        assert r.status_code == 400
        assert "language" in r.get_json()["errors"]
