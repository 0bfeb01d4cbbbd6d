"""Quick exit leaves no way back into the site through the history, Back
or Forward (issue 9, item 4): after it, neither the report form nor the
follow-up page (with the status of a real report) comes back, and the
server has forgotten the follow-up lookup."""
from tests.browser.test_phone_safety import EXIT, _file_a_report
from tests.fixtures.browser import allow_external

STATUS_PAGE = "Leave follow-up"  # only on the follow-up page that shows a report


def _on_site(page, live_server) -> bool:
    return page.url.startswith(live_server.url("/")) and ("/report" in page.url or "/followup" in page.url)


def _settle(page):
    page.wait_for_timeout(400)
    page.wait_for_load_state()


def test_forward_after_quick_exit_brings_neither_the_form_nor_the_followup_back(live_server, phone):
    allow_external(phone, "wikipedia.org")
    receipt = _file_a_report(phone, live_server)
    phone.goto(live_server.url("/followup?lang=en"))
    phone.fill("#receipt", receipt)
    with phone.expect_navigation():
        phone.locator("form.followup-form button[type=submit]").click()
    assert STATUS_PAGE in phone.content()
    with phone.expect_navigation():
        phone.locator(".nav a[href*='/report']").click()  # the form again, as a reporter might
    with phone.expect_navigation(url=EXIT):
        phone.locator("#quick-exit").click()
    _settle(phone)
    assert phone.url == EXIT
    # Forward at once, then Back as far as it goes and Forward again.
    for move in ["forward"] + ["back"] * 4 + ["forward"] * 6:
        (phone.go_forward if move == "forward" else phone.go_back)()
        _settle(phone)
        assert not _on_site(phone, live_server), f"{move} brought {phone.url} back"
        assert STATUS_PAGE not in phone.content(), f"{move} showed the follow-up status"
    # Coming back on purpose (typing the address) works, and the server has
    # forgotten the lookup: the receipt must be typed again.
    phone.goto(live_server.url("/followup?lang=en"))
    assert phone.url.startswith(live_server.url("/followup"))
    assert STATUS_PAGE not in phone.content() and phone.locator("#receipt").count() == 1
