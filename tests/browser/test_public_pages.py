"""Every public page at 360 px, in English and Arabic: no sideways scrolling,
no request leaving 127.0.0.1, and no serious or critical axe-core violation."""
import pytest

from tests.fixtures.browser import assert_no_external_requests, assert_no_horizontal_scroll, run_axe

PUBLIC_PAGES = ["/", "/report", "/followup", "/pulse", "/transparency", "/login"]
LANGUAGES = ["en", "ar"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_fits_a_phone_and_passes_axe(live_server, phone, path, lang):
    response = phone.goto(live_server.url(f"{path}?lang={lang}"))
    assert response.status == 200
    assert phone.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    assert_no_horizontal_scroll(phone)
    assert run_axe(phone) == []
    assert_no_external_requests(phone)


@pytest.mark.parametrize("path", ["/report", "/followup", "/pulse"])
def test_form_errors_fit_a_phone_and_pass_axe(live_server, phone, path):
    """A form sent empty shows its errors without breaking the layout."""
    phone.goto(live_server.url(f"{path}?lang=ar"))
    if path == "/report":  # its steps are checked in the page (report.js)
        phone.locator("main form button[type=submit]").first.click()
        phone.locator(".field-error").first.wait_for()
    else:
        with phone.expect_navigation():
            phone.locator("main form button[type=submit]").first.click()
    assert_no_horizontal_scroll(phone)
    assert run_axe(phone) == []


def test_no_javascript_pages_fit_a_phone(live_server, phone_nojs):
    for path in PUBLIC_PAGES:
        phone_nojs.goto(live_server.url(f"{path}?lang=ar"))
        assert_no_horizontal_scroll(phone_nojs)
    assert_no_external_requests(phone_nojs)
