"""The report form's steps through the test client, as a browser without
JavaScript sends them (issue 9): each step is a POST carrying every answer,
only that step's fields are checked, nothing is stored before the send, the
send keeps the idempotency key, and errors point to the step and the field."""
import re

import sqlalchemy as sa

from tests.intake.test_views import read_receipt_once, submit, valid_form
from tracker.intake.models import Report

CURRENT = re.compile(r'<fieldset class="section step" id="step-(\d)" data-step="\d">')


def shown_step(page: str) -> int:
    steps = CURRENT.findall(page)
    assert len(steps) == 1, f"expected exactly one visible step, got {steps}"
    return int(steps[0])


def count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


def test_first_visit_shows_step_one_of_six_with_every_field_carried(client):
    page = client.get("/report?lang=en").get_data(as_text=True)
    assert shown_step(page) == 1
    assert "Step 1 of 6" in page
    assert page.count('class="section step"') == 6
    assert page.count(" hidden>") >= 5


def test_next_checks_only_the_current_step(client, db):
    # Step 1 answered, the place (step 3) missing: step 1 → 2 is allowed.
    data = valid_form(client, region=None, step="1", nav="next")
    resp = submit(client, data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and shown_step(page) == 2
    assert 'id="errors"' not in page
    # Step 3 → 4 with no place: stays on step 3, error next to the region.
    resp = submit(client, {**data, "step": "3"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and shown_step(page) == 3
    assert "Step 3, Where · Province and district:" in page
    block = page[page.index('id="field-region"'):]
    assert block.index('class="field-error"') < block.index("<select")
    assert count(db) == 0


def test_back_and_goto_check_nothing_and_keep_the_answers(client, db):
    data = valid_form(client, categories=None, step="4", nav="back")
    page = submit(client, data).get_data(as_text=True)
    assert shown_step(page) == 3 and 'id="errors"' not in page
    assert "They beat my neighbour in front of the school." in page
    page = submit(client, {**data, "nav": "goto-6"}).get_data(as_text=True)
    assert shown_step(page) == 6
    # The review lists the answers, by step, with a way back to each step.
    review = page[page.index('id="review"'):]
    assert "Road to the school" in review and "Beating or assault" not in review
    assert 'value="goto-1"' in review and 'value="goto-5"' in review
    assert count(db) == 0


def test_send_with_errors_opens_the_step_of_the_first_error_and_names_each(client, db):
    data = valid_form(client, occurred_on=None, harm_killed="many", step="6", nav="send")
    resp = submit(client, data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and shown_step(page) == 2
    summary = page[page.index('id="errors"'):page.index("</div>", page.index('id="errors"'))]
    assert "Step 2, When · Date:" in summary
    assert "Step 4, Who did it, and the harm · People killed:" in summary
    # An error on another step is a button that opens that step (no JS needed).
    assert 'name="nav" value="goto-4"' in summary and 'href="#field-occurred_on"' in summary
    assert count(db) == 0


def test_send_files_one_report_per_idempotency_key(client, db):
    data = valid_form(client, step="6", nav="send")
    assert submit(client, data).status_code == 302
    first = read_receipt_once(client)
    assert submit(client, data).status_code == 302
    assert read_receipt_once(client) == first
    assert count(db) == 1


def test_steps_are_not_rate_limited_but_sends_are(client, app, db):
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    data = valid_form(client, step="1", nav="next")
    assert [submit(client, data).status_code for _ in range(4)] == [200] * 4
    sends = [submit(client, valid_form(client, categories=None, nav="send")).status_code for _ in range(3)]
    assert sends == [400, 400, 429]
    assert count(db) == 0


def test_coordinates_with_a_decimal_comma_are_accepted_and_rounded(client, db):
    data = valid_form(client, latitude="12,3456", longitude="-71,2345", nav="send")
    assert submit(client, data).status_code == 302
    report = db.session.scalars(sa.select(Report)).one()
    assert (report.latitude, report.longitude) == (12.35, -71.23)


def test_the_offline_worker_is_served_from_the_root_and_allowed_by_the_csp(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    body = resp.get_data(as_text=True)
    assert "/report" in body and "://" not in body  # no third-party code or origin
    assert "worker-src 'self'" in client.get("/report").headers["Content-Security-Policy"]


def test_the_workers_update_check_is_a_304_when_nothing_changed(client):
    first = client.get("/sw.js")
    again = client.get("/sw.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_progress_is_said_in_each_language(client):
    for lang, progress in (("en", "Step 1 of 6"), ("es", "Paso 1 de 6"), ("fr", "Étape 1 sur 6"),
                           ("ar", "الخطوة 1 من 6")):
        assert progress in client.get(f"/report?lang={lang}").get_data(as_text=True), lang
