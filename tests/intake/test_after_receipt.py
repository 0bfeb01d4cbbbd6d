"""After the receipt (issue 9, item 6): a copy button and an "I have written
it down" step on the receipt page; at /followup a reminder to keep the code
safe, every state explained in plain words in every language, the outcome
of a resolved case, photos through the same pipeline, "Leave follow-up"."""
import hashlib
import io
import re

import pytest
import sqlalchemy as sa

from config import Config
from tests.fixtures.factories import make_jpeg
from tests.intake.test_views import form_page, submit, valid_form
from tracker.audit.models import AuditEvent
from tracker.core.crypto import decrypt_bytes
from tracker.intake.models import Photo

# DESIGN §4, written out here: every state a case can be in.
DESIGN_STATES = ["new", "triaged", "investigating", "escalated", "resolved", "closed",
                 "awaiting_info", "referred", "rejected", "merged"]
DESIGN_OUTCOMES = ["substantiated", "partly_substantiated", "not_substantiated", "unable_to_determine"]


def _open_followup(client, receipt, lang="en"):
    _page, token = form_page(client, f"/followup?lang={lang}")
    resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt})
    assert resp.status_code == 302
    return token


def _set_state(db, report, state, outcome=None):
    case = report.case
    case.state = state
    case.outcome = outcome
    db.session.commit()


def _explanation(page: str) -> str:
    m = re.search(r'<p class="status-explanation" id="status-explanation">(.*?)</p>', page, re.S)
    assert m, "no explanation of the status"
    return m.group(1).strip()


def test_receipt_page_has_a_copy_button_and_a_written_down_step(client):
    assert submit(client, valid_form(client)).status_code == 302
    page = client.get("/report/receipt").get_data(as_text=True)
    # Copy: a button that tracker.js shows; without JavaScript the code is plain, selectable text.
    assert re.search(r'<button type="button" id="copy-receipt" hidden', page)
    assert re.search(r'<p class="receipt" id="receipt" dir="ltr"><bdi>\d{4} \d{4} \d{4} \d{4}</bdi></p>', page)
    # The step: the form leaving the page needs the box ticked (checked by the browser, no JS needed).
    form = re.search(r'<form method="get"[^>]*id="written-down">.*?</form>', page, re.S)
    assert form and re.search(r'<input type="checkbox" id="written" required>', form.group(0))
    assert "I have written down my code" in form.group(0)


@pytest.mark.parametrize("lang", list(Config.LANGUAGES))
def test_every_state_is_explained_in_every_language(client, db, make_report, lang):
    report, receipt = make_report()
    _open_followup(client, receipt, lang)
    seen = {}
    for state in DESIGN_STATES:
        _set_state(db, report, state)
        page = client.get("/followup").get_data(as_text=True)
        seen[state] = _explanation(page)
        assert len(seen[state]) > 40, (state, seen[state])
    assert len(set(seen.values())) == len(DESIGN_STATES), "two states share one explanation"
    if lang != "en":
        client.get("/followup?lang=en")
        for state in DESIGN_STATES:
            _set_state(db, report, state)
            english = _explanation(client.get("/followup").get_data(as_text=True))
            assert english != seen[state], f"{state} is not translated into {lang}"


def test_outcome_is_shown_once_resolved(client, db, make_report):
    report, receipt = make_report()
    _open_followup(client, receipt)
    _set_state(db, report, "investigating")
    assert 'id="outcome"' not in client.get("/followup").get_data(as_text=True)
    for outcome in DESIGN_OUTCOMES:
        for state in ("resolved", "closed"):
            _set_state(db, report, state, outcome)
            page = client.get("/followup").get_data(as_text=True)
            block = re.search(r'<div class="outcome" id="outcome">.*?</div>', page, re.S)
            assert block, (state, outcome)
    _set_state(db, report, "resolved", "partly_substantiated")
    page = client.get("/followup").get_data(as_text=True)
    assert "Partly substantiated" in page and "Part of what you reported was found to be true." in page


def test_followup_reminds_to_keep_the_code_safe_and_says_leave(client, make_report):
    _report, receipt = make_report()
    _open_followup(client, receipt)
    page = client.get("/followup").get_data(as_text=True)
    assert 'id="receipt-reminder"' in page and "Anyone with the code" in page
    assert "Leave follow-up" in page and "Close this report" not in page


def test_photos_added_at_followup_go_through_the_same_pipeline(client, db, make_report):
    report, receipt = make_report()
    token = _open_followup(client, receipt)
    original = make_jpeg(gps=True)
    resp = client.post("/followup", data={"csrf_token": token, "action": "photos",
                                          "photos": [(io.BytesIO(original), "IMG_1.jpg")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    assert "1 photo was added" in client.get("/followup").get_data(as_text=True)
    photo = db.session.scalars(sa.select(Photo).where(Photo.report_id == report.id)).one()
    assert photo.original_sha256 == hashlib.sha256(original).hexdigest()
    stored = decrypt_bytes(photo.content_enc)
    assert stored[:2] == b"\xff\xd8" and b"SecretCam" not in stored and original not in bytes(photo.content_enc)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "photo.reporter")).one()
    assert event.actor_role == "reporter" and event.actor_user_id is None
    db.session.expire_all()
    assert report.has_news is True


def test_bad_or_too_many_photos_at_followup_are_refused(client, db, make_report, app):
    report, receipt = make_report()
    token = _open_followup(client, receipt)
    resp = client.post("/followup", data={"csrf_token": token, "action": "photos",
                                          "photos": [(io.BytesIO(b"GIF89a not really"), "evil.jpg")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "evil.jpg is not a photo we can read" in resp.get_data(as_text=True)
    many = [(io.BytesIO(make_jpeg()), f"p{i}.jpg") for i in range(app.config["MAX_PHOTOS"])]
    for _ in range(2):
        assert client.post("/followup", data={"csrf_token": token, "action": "photos", "photos": list(many)},
                           content_type="multipart/form-data").status_code == 302
        many = [(io.BytesIO(make_jpeg()), f"p{i}.jpg") for i in range(app.config["MAX_PHOTOS"])]
    resp = client.post("/followup", data={"csrf_token": token, "action": "photos",
                                          "photos": [(io.BytesIO(make_jpeg()), "one-more.jpg")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "more photos to this report" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 2 * app.config["MAX_PHOTOS"]


def test_photos_need_an_open_followup(client, db):
    _page, token = form_page(client, "/followup")
    resp = client.post("/followup", data={"csrf_token": token, "action": "photos",
                                          "photos": [(io.BytesIO(make_jpeg()), "a.jpg")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
