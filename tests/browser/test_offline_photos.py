"""A report held on the phone for lack of signal is held without its
photos (issue 9, item 3): they are not kept in the browser, and the
reporter is told so before holding, while it waits, and on the receipt,
with where to add them (follow-up)."""
import re

import sqlalchemy as sa

from tests.browser.test_report_steps import _click, _count, _fill_all_with_javascript
from tests.fixtures.factories import make_jpeg

HELD = "Your report is kept on this phone and will be sent when there is signal. Keep this page open if you can."
WAITING = "Its photos were not kept: add them at follow-up."
ON_RECEIPT = ("Your photos were not sent: they were not kept while the report waited for a signal. "
              "Add them under \"Follow up\" with this code.")


def _photos(live_server) -> int:
    from tracker.extensions import db
    from tracker.intake.models import Photo

    with live_server.app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Photo))
        db.session.remove()
    return n


def _stored_by_site(page) -> dict:
    return page.evaluate("""async () => ({
        local: Object.keys(localStorage).filter(k => k.startsWith('tracker:')),
        session: Object.keys(sessionStorage).filter(k => k.startsWith('tracker:')),
        dbs: indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : []})""")


def test_a_held_report_says_its_photos_are_not_kept_and_where_to_add_them(live_server, phone, tmp_path):
    photo = tmp_path / "door.jpg"
    photo.write_bytes(make_jpeg())
    phone.goto(live_server.url("/report?lang=en"))
    phone.check("input[name=categories][value=threats]")
    phone.wait_for_function("caches.open('tracker').then(c => c.keys()).then(k => k.length >= 6)", polling=100)
    phone.uncheck("input[name=categories][value=threats]")
    _fill_all_with_javascript(phone)
    # Before holding: the consent itself says photos are not kept.
    assert "Photos are not kept: you add them at follow-up." in phone.locator("#hold").inner_text()
    phone.set_input_files("input[name=photos]", str(photo))
    phone.context.set_offline(True)
    phone.check("#hold-ok")
    _click(phone, "Send the report", False)
    phone.locator("#send-status").filter(has_text="kept on this phone").wait_for()
    assert phone.locator("#send-status").inner_text().strip() == HELD
    phone.locator("#queued-photos").wait_for(state="visible")
    assert phone.locator("#queued-photos").inner_text().strip() == WAITING
    # Nothing of the photo is in the browser's storage: the queue holds text fields only.
    held = phone.evaluate("localStorage.getItem('tracker:queue')")
    assert "door.jpg" not in held and "JFIF" not in held
    assert _stored_by_site(phone)["dbs"] == []
    # While it waits (the form reopened offline), the line still says so.
    phone.reload()
    phone.locator("#queued").wait_for(state="visible")
    assert phone.locator("#queued-photos").is_visible()
    assert _count(live_server) == 0
    with phone.expect_navigation(url=re.compile(r"/report/receipt$")):
        phone.context.set_offline(False)
    assert phone.locator("#photos-left").is_visible()
    assert phone.locator("#photos-left").inner_text().strip() == ON_RECEIPT
    assert (_count(live_server), _photos(live_server)) == (1, 0)
    assert _stored_by_site(phone) == {"local": [], "session": [], "dbs": []}


def test_a_report_sent_at_once_keeps_its_photos_and_the_receipt_says_nothing_of_them(live_server, phone, tmp_path):
    photo = tmp_path / "door.jpg"
    photo.write_bytes(make_jpeg())
    phone.goto(live_server.url("/report?lang=en"))
    _fill_all_with_javascript(phone)
    phone.set_input_files("input[name=photos]", str(photo))
    with phone.expect_navigation(url=re.compile(r"/report/receipt$")):
        _click(phone, "Send the report", False)
    assert phone.locator("#photos-left").is_hidden()
    assert (_count(live_server), _photos(live_server)) == (1, 1)
