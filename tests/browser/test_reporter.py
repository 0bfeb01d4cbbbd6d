"""The reporter's side in a real browser on a 360-px phone: a report filed with
JavaScript off, its receipt, the follow-up; Arabic right to left; Quick exit."""
import re
from datetime import date, timedelta

from tests.fixtures.browser import (
    allow_external,
    assert_no_external_requests,
    assert_no_horizontal_scroll,
    external_requests,
)

RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")


def _first_district(page) -> str:
    """The value of the first real choice in the region list."""
    return page.locator("#region option:not([value=''])").first.get_attribute("value")


def _submit(page, label):
    """Press a button of the step on screen (or of another form on the page)."""
    scope = page.locator(".step:not([hidden])") if page.locator(".step").count() else page
    with page.expect_navigation():
        scope.get_by_role("button", name=label, exact=True).click()


def test_report_with_javascript_off_then_follow_up_with_the_receipt(live_server, phone_nojs):
    page = phone_nojs
    page.goto(live_server.url("/report?lang=en"))
    assert_no_horizontal_scroll(page)

    # Steps 1 and 2, then a first try without the required place: the error
    # is next to the field, on the same step, and what was typed is kept.
    page.check("input[name=categories][value=arbitrary_detention]")
    page.fill("#narrative", "They took my neighbour away at night.")
    _submit(page, "Next")
    page.fill("#occurred_on", (date.today() - timedelta(days=10)).isoformat())
    _submit(page, "Next")
    _submit(page, "Next")
    assert page.locator("#field-region .field-error").is_visible()
    assert page.locator("#errors").is_visible()
    assert page.input_value("#narrative") == "They took my neighbour away at night."
    assert page.is_checked("input[name=categories][value=arbitrary_detention]")
    assert_no_horizontal_scroll(page)

    page.select_option("#region", _first_district(page))
    _submit(page, "Next")
    page.fill("#harm_detained", "1")
    _submit(page, "Next")
    _submit(page, "Next")
    _submit(page, "Send the report")

    receipt = page.locator("#receipt").inner_text().strip()
    assert RECEIPT.match(receipt), receipt
    assert_no_horizontal_scroll(page)

    # Follow up with the code, typed without spaces as people often do.
    page.goto(live_server.url("/followup"))
    page.fill("#receipt", receipt.replace(" ", ""))
    _submit(page, "Show my report")
    assert page.locator("#status").inner_text().strip() != ""
    assert_no_horizontal_scroll(page)

    page.fill("#body", "The soldiers came back the next day.")
    _submit(page, "Send")
    assert page.get_by_text("The soldiers came back the next day.").is_visible()
    assert_no_external_requests(page)


def test_wrong_receipt_is_refused_politely(live_server, phone_nojs):
    page = phone_nojs
    page.goto(live_server.url("/followup?lang=es"))
    page.fill("#receipt", "1234 5678 9012 3456")
    with page.expect_navigation():
        page.locator("form.followup-form button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator(".field-error, .flash").first.is_visible()
    assert page.locator("#status").count() == 0


def _box(page, selector):
    box = page.locator(selector).first.bounding_box()
    assert box, f"{selector} is not visible"
    return box


def test_arabic_form_reads_right_to_left(live_server, phone):
    phone.goto(live_server.url("/report?lang=ar"))
    assert phone.locator("html").get_attribute("lang") == "ar"
    assert phone.locator("html").get_attribute("dir") == "rtl"
    width = phone.viewport_size["width"]

    # Tick boxes sit at the start of the line: on the right in Arabic.
    checkbox = _box(phone, "input[name=categories]")
    assert checkbox["x"] > width / 2, checkbox
    # The submit button hugs the right edge, not the left one.
    button = _box(phone, "form.report-form button[type=submit]")
    assert width - (button["x"] + button["width"]) <= button["x"], button
    # The section titles start on the right too.
    legend = _box(phone, "form.report-form legend")
    assert width - (legend["x"] + legend["width"]) < legend["x"], legend
    assert_no_horizontal_scroll(phone)


def test_english_form_reads_left_to_right(live_server, phone):
    phone.goto(live_server.url("/report?lang=en"))
    assert phone.locator("html").get_attribute("dir") == "ltr"
    checkbox = _box(phone, "input[name=categories]")
    assert checkbox["x"] < phone.viewport_size["width"] / 2, checkbox


def test_arabic_report_can_be_filed_and_followed_up(live_server, phone):
    """The whole path in Arabic with JavaScript on (report.js active)."""
    phone.goto(live_server.url("/report?lang=ar"))
    def next_step():
        phone.locator(".step:not([hidden]) button[value=next]").click()

    phone.check("input[name=categories][value=property_destruction]")
    next_step()
    phone.fill("#occurred_on", (date.today() - timedelta(days=3)).isoformat())
    next_step()
    phone.select_option("#region", _first_district(phone))
    for _ in range(3):
        next_step()
    with phone.expect_navigation():
        phone.locator(".step:not([hidden]) button[value=send]").click()
    receipt = phone.locator("#receipt").inner_text().strip()
    assert RECEIPT.match(receipt), receipt
    assert phone.locator("html").get_attribute("dir") == "rtl"

    phone.goto(live_server.url("/followup"))
    assert phone.locator("html").get_attribute("lang") == "ar"  # remembered
    phone.fill("#receipt", receipt)
    with phone.expect_navigation():
        phone.locator("form.followup-form button[type=submit]").click()
    assert phone.locator("#status").inner_text().strip() != ""
    assert_no_horizontal_scroll(phone)


def test_quick_exit_is_a_plain_link_without_javascript(live_server, phone_nojs):
    page = phone_nojs
    page.goto(live_server.url("/report"))
    target = page.locator("#quick-exit").get_attribute("href")
    assert target.startswith("https://")
    allow_external(page, target)
    with page.expect_navigation():
        page.locator("#quick-exit").click()
    assert page.url == target
    assert external_requests(page) == [target]


def test_quick_exit_with_javascript_leaves_no_back_button_trail(live_server, phone):
    phone.goto(live_server.url("/report"))
    entries = phone.evaluate("history.length")
    target = phone.locator("#quick-exit").get_attribute("href")
    allow_external(phone, target)
    with phone.expect_navigation():
        phone.locator("#quick-exit").click()
    assert phone.url == target
    # location.replace: the report page's entry was replaced, not pushed down,
    # so Back does not lead to the report form.
    assert phone.evaluate("history.length") == entries
    phone.go_back()
    assert not phone.url.startswith(live_server.base_url), phone.url
    assert external_requests(phone) == [target]
