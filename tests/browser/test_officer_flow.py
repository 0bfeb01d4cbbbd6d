"""An officer signs in with a TOTP code, works a case from triage to
resolution on a laptop, messages the reporter, and the reporter reads the
message at /followup in Spanish on a phone."""
import pyotp
import sqlalchemy as sa

from tests.fixtures.browser import assert_no_horizontal_scroll
from tests.fixtures.factories import create_report

PASSWORD = "correct horse battery staple"
LAPTOP = {"viewport": {"width": 1280, "height": 900}, "screen": {"width": 1280, "height": 900},
          "device_scale_factor": 1, "is_mobile": False, "has_touch": False}


def _setup(app):
    from tracker.accounts import services
    from tracker.extensions import db
    from tracker.reference.models import OversightBody

    with app.app_context():
        body = db.session.scalar(sa.select(OversightBody).filter_by(code="NOC"))
        officer = services.create_user("officer@example.org", "officer", PASSWORD, body=body, enrol_totp=True)
        db.session.commit()
        secret = services.totp_secret(officer)
        report, receipt = create_report(
            language="es",
            categories=["arbitrary_detention"],
            harm={"injured": 0, "detained": 1, "property_damaged": False},
            narrative="Se llevaron a mi hijo sin orden judicial",
        )
        return secret, report.case.ref, receipt


def test_officer_triages_resolves_and_reporter_reads_in_spanish(live_server, new_phone):
    secret, ref, receipt = _setup(live_server.app)
    page = new_phone(**LAPTOP)

    page.goto(live_server.url("/login?lang=en"))
    page.fill("input[name=email]", "officer@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/login/code**")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/cases**")

    # The queue shows the case; open it.
    assert page.locator(f"text={ref}").count() >= 1
    page.click(f"a:has-text('{ref}')")
    page.wait_for_url(f"**/cases/{ref}")
    assert "Se llevaron a mi hijo" in page.content()

    def move(label, **fields):
        quick = page.locator(f".quick-moves button:has-text('{label}')")
        if quick.count():
            quick.click()
            page.wait_for_load_state()
            return
        details = page.locator(f"details.move:has(summary:has-text('{label}'))")
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        form = details.locator("form.move-form")
        for name, value in fields.items():
            if name == "outcome":
                form.locator("select[name=outcome]").select_option(value)
            else:
                form.locator(f"[name={name}]").fill(value)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()

    move("Triage")
    assert "Triaged" in page.locator(".case-badges").inner_text()
    move("Start investigation")
    assert "Under investigation" in page.locator(".case-badges").inner_text()

    # A required outcome is enforced by the server too: the browser's
    # "required" is bypassed by removing it.
    page.click("summary:has-text('Resolve')")
    page.eval_on_selector("details[open] select[name=outcome]", "el => el.removeAttribute('required')")
    page.locator("details[open] form.move-form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Please choose an outcome." in page.content()

    move("Resolve", outcome="substantiated")
    assert "Resolved" in page.locator(".case-badges").inner_text()

    page.fill("#message-body", "Hemos confirmado la detención. Gracias por informarnos.")
    page.click("#messages button[type=submit]")
    page.wait_for_load_state()
    assert "Hemos confirmado la detención" in page.locator("#messages").inner_text()

    # The reporter, on a phone, in Spanish.
    phone = new_phone(locale="es")
    phone.goto(live_server.url("/followup?lang=es"))
    phone.fill("input[name=receipt]", receipt)
    phone.click("form button[type=submit], form input[type=submit]")
    phone.wait_for_load_state()
    text = phone.content()
    assert "Hemos confirmado la detención. Gracias por informarnos." in text
    with live_server.app.app_context():
        from flask_babel import force_locale

        from tracker.cases.models import STATES

        with force_locale("es"):
            assert str(STATES["resolved"]) in text
    assert_no_horizontal_scroll(phone)


def test_queue_and_case_page_fit_a_phone(live_server, new_phone):
    secret, ref, _receipt = _setup(live_server.app)
    page = new_phone(locale="ar")
    page.goto(live_server.url("/login?lang=ar"))
    page.fill("input[name=email]", "officer@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/login/code**")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/cases**")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert_no_horizontal_scroll(page)
    page.goto(live_server.url(f"/cases/{ref}"))
    assert_no_horizontal_scroll(page)
