"""The reporter's pages through the test client, as a reporter would use them."""
import html
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.fixtures.factories import make_jpeg
from tracker.core.crypto import decrypt_bytes
from tracker.core.db import utcnow
from tracker.intake.models import Message, Photo, PulseResponse, Report

RECEIPT_RE = re.compile(r'class="receipt"[^>]*><bdi>(\d{4} \d{4} \d{4} \d{4})</bdi>')


def hidden(page: str, name: str) -> str:
    m = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page)
    assert m, f"no hidden {name}"
    return html.unescape(m.group(1))


def form_page(client, url="/report"):
    page = client.get(url).get_data(as_text=True)
    return page, hidden(page, "csrf_token")


def valid_form(client, **overrides):
    page, token = form_page(client)
    data = {
        "csrf_token": token,
        "idempotency_key": hidden(page, "idempotency_key"),
        "categories": ["assault", "threats"],
        "narrative": "They beat my neighbour in front of the school.",
        "occurred_on": (utcnow().date() - timedelta(days=2)).isoformat(),
        "occurred_on_precision": "day",
        "part_of_day": "evening",
        "region": "XV0102",
        "place_description": "Road to the school",
        "latitude": "12.34567",
        "longitude": "-71.23456",
        "force": "POLICE",
        "unit": "POLICE:ANTI",
        "harm_injured": "1",
        "consent_statistics": "y",
        "consent_contact": "y",
        "contact_name": "Fatima",
        "contact_phone": "0999 123 456",
        "pulse_respect": "2",
        "pulse_voice": "",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def submit(client, data, **kw):
    return client.post("/report", data=data, content_type="multipart/form-data", **kw)


def read_receipt_once(client) -> str:
    page = client.get("/report/receipt").get_data(as_text=True)
    m = RECEIPT_RE.search(page)
    assert m, page
    return m.group(1)


def test_report_form_has_every_field_and_works_without_js(client):
    page, token = form_page(client)
    assert token
    for name in ["categories", "narrative", "occurred_on", "occurred_on_precision", "part_of_day", "region",
                 "place_description", "latitude", "longitude", "force", "unit", "unit_description", "operation",
                 "harm_killed", "harm_injured", "harm_detained", "harm_missing", "harm_displaced_households",
                 "property_damaged", "victims_children", "victims_women", "victims_elderly", "victims_disability",
                 "relationship", "needs", "consent_contact", "consent_statistics", "consent_referral",
                 "contact_name", "contact_phone", "contact_safe_times", "photos", "pulse_respect", "pulse_voice",
                 "pulse_fairness", "pulse_safe_to_report", "pulse_safety", "idempotency_key"]:
        assert f'name="{name}"' in page, name
    # the region tree without JS: a <select> with an <optgroup> per province
    assert page.count("<optgroup") >= 4 and 'value="XV0402"' in page
    # statistics consent ticked by default; "prefer not to say" default in the pulse
    assert re.search(r'<input checked id="consent_statistics"', page)
    assert 'type="date"' in page and 'value="month"' in page
    assert "<script>" not in page and "style=" not in page and "onclick" not in page
    assert 'enctype="multipart/form-data"' in page


def test_errors_are_shown_next_to_fields_and_typed_values_kept(client, db):
    data = valid_form(client, categories=None, region="XV9999", harm_killed="-2")
    resp = submit(client, data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'id="field-categories"' in page and "Please choose at least one kind of harm." in page
    assert "Unknown place. Please choose it from the list." in page
    assert "This must be a number from 0 to 100000." in page
    # error next to its field (inside the field's block)
    block = page[page.index('id="field-harm_killed"'):]
    assert block.index("This must be a number from 0 to 100000.") < block.index('name="harm_killed"')
    assert "They beat my neighbour in front of the school." in page
    assert 'value="Road to the school"' in page and 'value="0999 123 456"' in page
    assert re.search(r'<option value="POLICE:ANTI" selected>', page)
    assert re.search(r'checked id="part_of_day-3"', page)
    # same idempotency key kept for the corrected resend
    assert hidden(page, "idempotency_key") == data["idempotency_key"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_photos_must_be_chosen_again_after_an_error(client):
    data = valid_form(client, categories=None)
    data["photos"] = [(io.BytesIO(make_jpeg()), "a.jpg")]
    page = submit(client, data).get_data(as_text=True)
    assert "please choose them again" in page


def test_without_csrf_token_nothing_is_filed(client, db):
    data = valid_form(client)
    data.pop("csrf_token")
    resp = submit(client, data)
    page = resp.get_data(as_text=True)
    # Refused, but nothing typed is lost: the form comes back filled in.
    assert resp.status_code == 400 and "please check it and send it again" in page
    assert "They beat my neighbour in front of the school." in page
    assert 'value="0999 123 456"' in page
    assert hidden(page, "idempotency_key") == data["idempotency_key"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_successful_report_shows_the_receipt_once_and_follow_up_works(client, db):
    resp = submit(client, valid_form(client))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/report/receipt")
    receipt = read_receipt_once(client)
    again = client.get("/report/receipt").get_data(as_text=True)
    assert receipt not in again and "already shown" in again
    assert not RECEIPT_RE.search(again)

    report = db.session.scalars(sa.select(Report)).one()
    assert report.category_codes == ["assault", "threats"]
    assert (report.latitude, report.longitude) == (12.35, -71.23)  # rounded on the server
    assert report.unit.code == "ANTI" and report.force.code == "POLICE"
    assert report.contact == {"name": "Fatima", "phone": "0999 123 456"}
    assert report.consent_statistics is True and report.filed_by_org_id is None
    assert db.session.scalars(sa.select(PulseResponse)).one().respect == 2

    # An officer writes; the reporter follows up with the receipt (typed with dashes).
    db.session.add(Message(report=report, sender="officer", body="Were you hurt too?"))
    db.session.commit()
    page, token = form_page(client, "/followup")
    resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt.replace(" ", "-")})
    assert resp.status_code == 302
    assert receipt.replace(" ", "") not in resp.headers["Location"]
    page = client.get("/followup").get_data(as_text=True)
    assert 'id="status">New<' in page and "Were you hurt too?" in page
    assert "Oversight officer" in page and "<time datetime=" in page
    assert receipt not in page and receipt.replace(" ", "") not in page

    token = hidden(page, "csrf_token")
    resp = client.post("/followup", data={"csrf_token": token, "action": "message", "body": "Yes, my arm."})
    assert resp.status_code == 302
    page = client.get("/followup").get_data(as_text=True)
    assert "Your information was sent" in page and "Yes, my arm." in page
    db.session.refresh(report)
    assert report.has_news and report.case.has_news

    # an empty message is refused with the text kept
    token = hidden(page, "csrf_token")
    resp = client.post("/followup", data={"csrf_token": token, "action": "message", "body": "   "})
    assert resp.status_code == 400 and "Please write your message." in resp.get_data(as_text=True)

    # close: the report is no longer shown in this browser
    client.post("/followup", data={"csrf_token": token, "action": "close"})
    page = client.get("/followup").get_data(as_text=True)
    assert "Were you hurt too?" not in page and 'name="receipt"' in page


def test_resending_the_same_form_files_one_report(client, db):
    data = valid_form(client)
    assert submit(client, data).status_code == 302
    first = read_receipt_once(client)
    assert submit(client, data).status_code == 302  # the network resent it
    second = read_receipt_once(client)
    assert first == second
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1


def test_month_precision_without_js(client, db):
    data = valid_form(client, occurred_on="2025-06-17", occurred_on_precision="month")
    assert submit(client, data).status_code == 302
    assert db.session.scalars(sa.select(Report)).one().occurred_on.isoformat() == "2025-06-01"


def test_photo_through_the_form_is_cleaned(client, db):
    data = valid_form(client)
    original = make_jpeg(gps=True)
    data["photos"] = [(io.BytesIO(original), "IMG.jpg")]
    assert submit(client, data).status_code == 302
    photo = db.session.scalars(sa.select(Photo)).one()
    assert b"SecretCam" not in decrypt_bytes(photo.content_enc)


def test_bad_photo_is_refused_with_a_message(client, db):
    data = valid_form(client)
    data["photos"] = [(io.BytesIO(b"GIF89a not really"), "evil.jpg")]
    resp = submit(client, data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "evil.jpg is not a photo we can read" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_wrong_receipts_are_refused_then_rate_limited(client, app):
    page, token = form_page(client, "/followup")
    resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": "1234 5678 9012 3456"})
    assert resp.status_code == 400 and "We found no report with this code" in resp.get_data(as_text=True)
    codes = []
    for _ in range(12):
        codes.append(client.post("/followup", data={"csrf_token": token, "action": "lookup",
                                                     "receipt": "0000 1111 2222 3333"}).status_code)
    assert codes[-1] == 429 and 400 in codes
    resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": "x"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "Too many wrong codes were tried from your connection. Please try again in" in resp.get_data(as_text=True)


def test_successful_lookups_do_not_count_against_the_limit(client, make_report):
    report, receipt = make_report()
    page, token = form_page(client, "/followup")
    for _ in range(12):
        resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt})
        assert resp.status_code == 302


def test_report_submission_is_rate_limited(client, app):
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    statuses = [submit(client, valid_form(client, categories=None)).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_no_ip_address_is_stored_anywhere(client, db, app):
    data = valid_form(client)
    submit(client, data, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    read_receipt_once(client)
    page, token = form_page(client, "/followup")
    client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": "9999 9999 9999 9999"})
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            text = repr(tuple(row))
            if "127.0.0.1" in text:
                found.append(table.name)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
    assert found == []


def test_partner_files_for_a_community_member_and_can_print(client, login_as, db):
    partner = login_as("partner")
    page = client.get("/report").get_data(as_text=True)
    assert "on behalf of a community member" in page
    assert submit(client, valid_form(client)).status_code == 302
    page = client.get("/report/receipt").get_data(as_text=True)
    assert RECEIPT_RE.search(page) and 'id="print-receipt"' in page
    report = db.session.scalars(sa.select(Report)).one()
    assert report.filed_by_user_id == partner.id and report.filed_by_org_id == partner.organisation_id


def test_anonymous_receipt_page_has_no_print_button(client):
    submit(client, valid_form(client))
    page = client.get("/report/receipt").get_data(as_text=True)
    assert 'id="print-receipt"' not in page


def test_arabic_form_is_right_to_left_and_the_receipt_stays_left_to_right(client):
    page = client.get("/report?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    submit(client, valid_form(client))
    page = client.get("/report/receipt").get_data(as_text=True)
    assert 'dir="rtl"' in page
    assert re.search(r'class="receipt"[^>]*dir="ltr"', page) and "<bdi>" in page


def test_pulse_standalone(client, db):
    page, token = form_page(client, "/pulse")
    assert page.count('value=""') >= 5  # prefer not to say on each statement
    resp = client.post("/pulse", data={"csrf_token": token, "region": "XV0301", "pulse_respect": "4",
                                       "pulse_safety": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/pulse/thanks")
    assert "Thank you" in client.get("/pulse/thanks").get_data(as_text=True)
    pulse = db.session.scalars(sa.select(PulseResponse)).one()
    assert pulse.source == "standalone" and (pulse.respect, pulse.safety, pulse.voice) == (4, 1, None)


def test_pulse_errors_keep_answers(client, db):
    page, token = form_page(client, "/pulse")
    resp = client.post("/pulse", data={"csrf_token": token, "region": "", "pulse_respect": "4"})
    page = resp.get_data(as_text=True)
    # The survey asks where you live; its error says so too (issue 9), and the
    # summary line names the question.
    assert resp.status_code == 400 and "Please choose where you live." in page
    assert "Please choose where it happened." not in page
    assert re.search(r'<a href="#field-region">Where do you live\?: Please choose where you live\.</a>', page)
    assert re.search(r'checked id="pulse_respect-3"', page)
    resp = client.post("/pulse", data={"csrf_token": token, "region": "XV0101"})
    assert "Please answer at least one question." in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PulseResponse)) == 0


def test_pages_send_no_store_and_strict_csp(client):
    for url in ["/report", "/followup", "/pulse"]:
        resp = client.get(url)
        assert resp.headers["Cache-Control"] == "no-store"
        assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]


def test_follow_up_with_arabic_indic_digits(client, make_report):
    report, receipt = make_report()
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in receipt)
    typed = " ".join(arabic[i:i + 4] for i in range(0, 16, 4))
    page, token = form_page(client, "/followup?lang=ar")
    resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": typed})
    assert resp.status_code == 302
    assert 'id="status"' in client.get("/followup").get_data(as_text=True)


def test_follow_up_page_closes_itself_after_inactivity(client, make_report, monkeypatch):
    import tracker.intake.views as views

    report, receipt = make_report()
    page, token = form_page(client, "/followup")
    client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt})
    assert 'id="status"' in client.get("/followup").get_data(as_text=True)
    later = views._now() + views.FOLLOWUP_SESSION_MINUTES * 60 + 5
    monkeypatch.setattr(views, "_now", lambda: later)
    page = client.get("/followup").get_data(as_text=True)
    assert 'id="status"' not in page and 'name="receipt"' in page
    # a message sent from a stale page is not filed; the reporter is told why
    resp = client.post("/followup", data={"csrf_token": token, "action": "message", "body": "late"})
    assert resp.status_code == 302
    assert "enter your receipt code again" in client.get("/followup").get_data(as_text=True)
    assert report.messages == []


def test_officer_messages_show_dates_in_the_readers_language(client, make_report, db):
    from datetime import datetime

    report, receipt = make_report()
    db.session.add(Message(report=report, sender="officer", body="Hola", created_at=datetime(2026, 3, 14, 9, 30)))
    db.session.commit()
    page, token = form_page(client, "/followup?lang=es")
    client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt})
    page = client.get("/followup").get_data(as_text=True)
    assert '<time datetime="2026-03-14">14 de marzo de 2026</time>' in page


def test_partners_filing_many_reports_are_not_rate_limited(client, app, login_as):
    app.config["RATELIMIT_REPORT"] = "1 per hour"
    login_as("partner")
    statuses = [submit(client, valid_form(client, categories=None)).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]


@pytest.mark.parametrize("junk", [
    {"categories": ["killing"] * 500, "occurred_on": "\x00\x01", "region": "<script>"},
    {"harm_killed": "9" * 5000, "harm_injured": "٣" * 5000, "latitude": "1e400", "longitude": "nan", "unit": ":::", "force": "\u202e"},
    {"occurred_on_precision": ["day", "month"], "pulse_respect": "99", "relationship": "x" * 10000},
    {"unit": "ARMY:", "contact_phone": "x" * 5000, "consent_contact": "maybe", "idempotency_key": "k" * 5000},
])
def test_junk_form_input_never_breaks_the_page(client, db, junk):
    data = valid_form(client)
    data.update(junk)
    resp = submit(client, data)
    assert resp.status_code in (302, 400)
    if resp.status_code == 400:
        assert "errors-summary" in resp.get_data(as_text=True)


def test_junk_followup_and_pulse_input(client):
    page, token = form_page(client, "/followup")
    for body in [{"action": "nonsense"}, {"action": "lookup"}, {"action": "lookup", "receipt": "٣" * 5000},
                 {"action": "message", "body": "x"}]:
        resp = client.post("/followup", data={"csrf_token": token, **body})
        assert resp.status_code in (200, 302, 400), body
    page, token = form_page(client, "/pulse")
    resp = client.post("/pulse", data={"csrf_token": token, "region": ["XV01", "XV02"], "pulse_voice": "x" * 900})
    assert resp.status_code == 400
