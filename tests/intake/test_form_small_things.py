"""The small things of issue 9 (item 8) that a test client can see: blank
harm stays unknown, consent is asked when contact details are typed, every
error-summary line names its field, the date has a maximum."""
import html
import re
from datetime import timedelta

import sqlalchemy as sa

from tests.intake.test_views import submit, valid_form
from tracker.core.db import utcnow
from tracker.intake.models import Report


def _summary_lines(page: str) -> list[str]:
    summary = re.search(r'<div class="errors-summary".*?</ul>', page, re.S)
    assert summary, "no error summary"
    return [html.unescape(re.sub(r"<[^>]+>", "", li)).strip() for li in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)]


def test_blank_harm_is_unknown_not_zero_and_officers_see_unknown(client, db, login_as):
    resp = submit(client, valid_form(client, harm_injured="", harm_killed="0"))
    assert resp.status_code == 302
    report = db.session.scalars(sa.select(Report)).one()
    assert report.killed == 0  # typed 0: nobody
    assert (report.injured, report.detained, report.missing, report.displaced_households) == (None, None, None, None)

    login_as("officer")
    page = client.get(f"/cases/{report.case.ref}").get_data(as_text=True)
    assert "killed: 0" in page
    assert "injured: unknown" in page and "missing: unknown" in page
    assert "injured: 0" not in page


def test_contact_typed_without_consent_is_asked_not_dropped(client, db):
    resp = submit(client, valid_form(client, consent_contact=None))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
    block = re.search(r'<div class="field has-error" id="field-consent_contact">.*?</div>', page, re.S)
    assert block and "tick this box" in block.group(0)
    # What was typed is still there, to keep or remove.
    assert 'value="0999 123 456"' in page
    # Without contact details, no consent is needed.
    resp = submit(client, valid_form(client, consent_contact=None, contact_name=None, contact_phone=None))
    assert resp.status_code == 302


def test_every_error_summary_line_names_its_field(client):
    resp = submit(client, valid_form(client, region="", harm_killed="two", harm_injured="-1",
                                     latitude="abc", occurred_on=""))
    assert resp.status_code == 400
    lines = _summary_lines(resp.get_data(as_text=True))
    assert len(lines) == 5, lines
    assert "Province and district: Please choose where it happened." in lines
    assert "People killed: This must be a whole number." in lines
    assert any(line.startswith("People injured: ") for line in lines)
    assert any(line.startswith("Latitude: ") for line in lines)
    assert any(line.startswith("Date: ") for line in lines)
    # The same message twice is told apart by its field.
    assert len(set(lines)) == len(lines)


def test_error_summary_lines_name_the_field_in_arabic(client):
    client.get("/report?lang=ar")
    resp = submit(client, valid_form(client, region=""))
    lines = _summary_lines(resp.get_data(as_text=True))
    assert len(lines) == 1 and ":" in lines[0] and "Province" not in lines[0], lines


def test_date_has_a_maximum_in_the_form_and_on_the_server(client, db):
    page = client.get("/report").get_data(as_text=True)
    m = re.search(r'<input[^>]*id="occurred_on"[^>]*>', page)
    assert m
    # Today somewhere on Earth: one day after today's UTC date, no later.
    tomorrow_utc = (utcnow().date() + timedelta(days=1)).isoformat()
    assert f'max="{tomorrow_utc}"' in m.group(0)
    later = (utcnow().date() + timedelta(days=2)).isoformat()
    resp = submit(client, valid_form(client, occurred_on=later))
    assert resp.status_code == 400 and "This date is in the future." in resp.get_data(as_text=True)
