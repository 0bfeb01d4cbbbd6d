"""The report form in steps (issue 9): six steps with progress and a review,
with JavaScript off (each step a POST carrying the answers) and on (steps
switch in the page); a draft kept in the tab; the form opening with no
signal and a held report sent once when the signal returns."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from config import Config
from tests.fixtures.browser import assert_no_external_requests, assert_no_horizontal_scroll, run_axe

RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
DAY = (date.today() - timedelta(days=4)).isoformat()


def _count(live_server) -> int:
    from tracker.extensions import db
    from tracker.intake.models import Report

    with live_server.app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Report))
        db.session.remove()
    return n


def _progress(page) -> str:
    return page.locator(".step:not([hidden]) legend .progress").inner_text().strip()


def _click(page, name, navigate):
    button = page.locator(".step:not([hidden])").get_by_role("button", name=name, exact=True)
    if navigate:
        with page.expect_navigation():
            button.click()
    else:
        button.click()


def test_without_javascript_every_step_is_a_post_and_the_report_is_filed(live_server, phone_nojs):
    page = phone_nojs
    page.goto(live_server.url("/report?lang=en"))
    assert _progress(page) == "Step 1 of 6"
    # Nothing ticked: "Next" stays on step 1 with the error next to the field.
    _click(page, "Next", True)
    assert _progress(page) == "Step 1 of 6"
    assert page.locator("#field-categories .field-error").is_visible()
    assert "Step 1, What happened" in page.locator("#errors").inner_text()
    page.check("input[name=categories][value=arbitrary_detention]")
    page.fill("#narrative", "They took my neighbour away at night.")
    _click(page, "Next", True)
    assert _progress(page) == "Step 2 of 6"
    assert page.locator("#narrative").is_hidden()  # carried, not shown
    page.fill("#occurred_on", DAY)
    _click(page, "Next", True)
    assert _progress(page) == "Step 3 of 6"
    _click(page, "Back", True)
    assert _progress(page) == "Step 2 of 6" and page.input_value("#occurred_on") == DAY
    _click(page, "Next", True)
    page.select_option("#region", "XV0102")
    _click(page, "Next", True)
    assert _progress(page) == "Step 4 of 6"
    page.fill("#harm_detained", "1")
    _click(page, "Next", True)
    assert _progress(page) == "Step 5 of 6"
    page.check("input[name=relationship][value=witness]")
    _click(page, "Next", True)
    assert _progress(page) == "Step 6 of 6"
    review = page.locator("#review").inner_text()
    for answer in ("Arbitrary arrest or detention", "They took my neighbour away at night.", "Sierra Clara",
                   "People detained or taken away", DAY):
        assert answer in review, answer
    assert page.locator("input[type=file][name=photos]").is_visible()
    assert_no_horizontal_scroll(page)
    assert _count(live_server) == 0  # nothing stored before the final send
    _click(page, "Send the report", True)
    assert RECEIPT.match(page.locator("#receipt").inner_text().strip())
    assert _count(live_server) == 1
    assert_no_external_requests(page)


def _fill_all_with_javascript(page):
    """Walk the steps with JavaScript on: no page load between steps."""
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    assert _progress(page) == "Step 1 of 6"
    _click(page, "Next", False)  # nothing ticked: the step says so, in the page
    assert _progress(page) == "Step 1 of 6"
    assert page.locator("#field-categories .field-error").is_visible()
    page.check("input[name=categories][value=illegal_search]")
    page.fill("#narrative", "They searched every house on our street.")
    _click(page, "Next", False)
    assert _progress(page) == "Step 2 of 6"
    page.fill("#occurred_on", DAY)
    _click(page, "Next", False)
    page.select_option("#region", "XV0301")
    _click(page, "Next", False)
    page.fill("#harm_injured", "2")
    _click(page, "Next", False)
    _click(page, "Next", False)
    assert _progress(page) == "Step 6 of 6"
    review = page.locator("#review").inner_text()
    for answer in ("Illegal search of home or person", "They searched every house on our street.", "La Frontera", DAY):
        assert answer in review, answer
    assert "(required)" not in review
    assert loads == [], f"the steps loaded pages: {loads}"


def test_with_javascript_steps_switch_in_the_page_and_the_draft_stays_in_the_tab(live_server, phone):
    phone.goto(live_server.url("/report?lang=en"))
    _fill_all_with_javascript(phone)
    assert_no_horizontal_scroll(phone)
    # A reload in the same tab keeps the draft (sessionStorage, tracker: prefix) ...
    phone.reload()
    assert _progress(phone) == "Step 6 of 6"
    assert phone.input_value("#narrative") == "They searched every house on our street."
    keys = phone.evaluate("Object.keys(sessionStorage)")
    assert keys and all(k.startswith("tracker:") for k in keys)
    assert phone.evaluate("Object.keys(localStorage)") == []  # nothing outlives the tab
    with phone.expect_navigation(url=re.compile(r"/report/receipt$")):
        _click(phone, "Send the report", False)
    assert RECEIPT.match(phone.locator("#receipt").inner_text().strip())
    assert phone.evaluate("Object.keys(sessionStorage)") == []  # draft gone once sent
    assert _count(live_server) == 1
    # ... and a new tab starts empty.
    other = phone.context.new_page()
    other.goto(live_server.url("/report?lang=en"))
    assert other.input_value("#narrative") == "" and _progress(other) == "Step 1 of 6"
    assert_no_external_requests(phone)


def test_offline_the_form_opens_and_a_held_report_lands_once(live_server, phone):
    phone.goto(live_server.url("/report?lang=en"))
    phone.check("input[name=categories][value=threats]")  # the form in use: its offline copy is made
    phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    phone.wait_for_function(
        "caches.open('tracker').then(c => c.keys()).then(k => k.length >= 6)", polling=100
    )  # the page, two style sheets and three scripts (report-offline.js loads once the form is in use)
    phone.context.set_offline(True)
    assert phone.evaluate("fetch('/healthz').then(() => 'online', () => 'offline')") == "offline"
    response = phone.reload()
    assert response.from_service_worker
    assert phone.locator("h1").inner_text() == "Report what happened"
    assert phone.is_checked("input[name=categories][value=threats]")  # the tab's draft, offline too
    phone.uncheck("input[name=categories][value=threats]")
    _fill_all_with_javascript(phone)
    _click(phone, "Send the report", False)
    status = phone.locator("#send-status")
    status.filter(has_text="There is no signal").wait_for()
    assert phone.locator("#queued").is_hidden()  # not held without the reporter's say-so
    assert phone.evaluate("localStorage.getItem('tracker:queue')") is None
    phone.check("#hold-ok")
    _click(phone, "Send the report", False)
    phone.locator("#queued").wait_for(state="visible")
    assert "waiting" in phone.locator("#queued").inner_text()
    assert _count(live_server) == 0
    held = phone.evaluate("localStorage.getItem('tracker:queue')")
    with phone.expect_navigation(url=re.compile(r"/report/receipt$")):
        phone.context.set_offline(False)  # the browser's "online" event sends it
    assert RECEIPT.match(phone.locator("#receipt").inner_text().strip())
    assert phone.evaluate("localStorage.getItem('tracker:queue')") is None
    assert _count(live_server) == 1
    # The same held report sent again (a lost answer, a second tab) files nothing new.
    phone.goto(live_server.url("/report?lang=en"))
    phone.evaluate("q => localStorage.setItem('tracker:queue', q)", held)
    with phone.expect_navigation(url=re.compile(r"/report/receipt$")):
        phone.reload()
    assert _count(live_server) == 1


@pytest.mark.parametrize("lang", list(Config.LANGUAGES))
def test_every_step_passes_axe_and_fits_a_phone(live_server, phone, lang):
    phone.goto(live_server.url(f"/report?lang={lang}"))
    phone.check("input[name=categories][value=threats]")
    for number in range(1, 7):
        assert phone.locator(f"#step-{number}").is_visible()
        assert_no_horizontal_scroll(phone)
        assert run_axe(phone) == [], f"step {number}"
        if number == 2:
            phone.fill("#occurred_on", DAY)
        if number == 3:
            phone.select_option("#region", "XV0101")
        if number < 6:
            phone.locator(".step:not([hidden]) button[value=next]").click()


def _to_where_step(page):
    page.check("input[name=categories][value=threats]")
    page.locator(".step:not([hidden]) button[value=next]").click()
    page.fill("#occurred_on", DAY)
    page.locator(".step:not([hidden]) button[value=next]").click()
    assert _progress(page) == "Step 3 of 6"


def _sent_place(live_server):
    from tracker.extensions import db
    from tracker.intake.models import Report

    with live_server.app.app_context():
        report = db.session.scalars(sa.select(Report)).one()
        place = (report.region.pcode, report.latitude, report.longitude)
        db.session.remove()
    return place


def _send_from_where(page):
    for _ in range(3):
        page.locator(".step:not([hidden]) button[value=next]").click()
    with page.expect_navigation(url=re.compile(r"/report/receipt$")):
        page.locator(".step:not([hidden]) button[value=send]").click()


def test_tapping_a_district_on_the_map_chooses_it(live_server, phone):
    phone.goto(live_server.url("/report?lang=en"))
    _to_where_step(phone)
    phone.locator("#region-map svg").wait_for()
    phone.locator("path[data-pcode=XV0303]").tap()
    assert phone.input_value("#region") == "XV0303"
    assert "chosen" in phone.locator("path[data-pcode=XV0303]").get_attribute("class")
    # The list moves the map too; the map is hidden from screen readers.
    phone.select_option("#region", "XV0201")
    assert "chosen" in phone.locator("path[data-pcode=XV0201]").get_attribute("class")
    assert phone.locator("#region-map svg").get_attribute("aria-hidden") == "true"
    assert run_axe(phone) == []


def test_a_tap_on_next_as_the_map_arrives_still_goes_on(live_server, new_phone):
    """The map and "use my location" appear a moment after the where step
    opens (more so on a slow phone): a finger already on "Next" when they
    arrive must still press "Next", not whatever the arrival pushed under it."""
    page = new_phone(service_workers="block")  # the map is held here, not by the offline worker
    held = []
    page.route("**/report/districts.svg*", lambda route: held.append(route))
    page.goto(live_server.url("/report?lang=en"))
    with page.expect_request("**/report/districts.svg*"):
        _to_where_step(page)
    page.select_option("#region", "XV0301")
    page.locator(".step:not([hidden]) button[value=next]").scroll_into_view_if_needed()
    button = page.locator(".step:not([hidden]) button[value=next]").bounding_box()
    page.mouse.move(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    page.mouse.down()  # the finger is on "Next" ...
    held[0].continue_()  # ... the map arrives ...
    page.locator("#region-map svg").wait_for()
    page.mouse.up()  # ... the finger lifts
    assert _progress(page) == "Step 4 of 6"
    assert page.input_value("#region") == "XV0301"


def test_use_my_location_sends_only_the_district_unless_asked(live_server, new_phone):
    page = new_phone(geolocation={"latitude": 12.4712, "longitude": -71.8049}, permissions=["geolocation"])
    page.goto(live_server.url("/report?lang=en"))
    _to_where_step(page)
    page.get_by_role("button", name="Use my location").click()
    page.locator("#location-status").filter(has_text="District chosen").wait_for()
    assert page.input_value("#region") == "XV0102"  # Sierra Clara, found on the phone
    assert page.input_value("#latitude") == "" and page.input_value("#longitude") == ""
    _send_from_where(page)
    assert _sent_place(live_server) == ("XV0102", None, None)


def test_use_my_location_with_rounded_coordinates_when_ticked(live_server, new_phone):
    page = new_phone(geolocation={"latitude": 10.1234, "longitude": -69.4567}, permissions=["geolocation"])
    page.goto(live_server.url("/report?lang=en"))
    _to_where_step(page)
    page.check("#send_coordinates")
    page.get_by_role("button", name="Use my location").click()
    page.locator("#location-status").filter(has_text="District chosen").wait_for()
    assert page.input_value("#region") == "XV0302"
    assert (page.input_value("#latitude"), page.input_value("#longitude")) == ("10.12", "-69.46")
    _send_from_where(page)
    assert _sent_place(live_server) == ("XV0302", 10.12, -69.46)
