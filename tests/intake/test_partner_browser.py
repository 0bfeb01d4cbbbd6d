"""A partner follows up on their organisation's reports on a 360-px phone,
in Arabic (right to left)."""
import pytest
import sqlalchemy as sa

from tests.fixtures.browser import assert_no_horizontal_scroll, run_axe
from tests.fixtures.factories import create_report

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def _setup(app):
    from tracker.accounts import services
    from tracker.accounts.models import Organisation
    from tracker.cases import workflow
    from tracker.extensions import db
    from tracker.reference.models import OversightBody

    with app.app_context():
        org = Organisation(code="CRN", name="Community Rights Network")
        db.session.add(org)
        db.session.flush()
        partner = services.create_user("partner@example.org", "partner", PASSWORD, organisation=org)
        body = db.session.scalar(sa.select(OversightBody).filter_by(code="NOC"))
        officer = services.create_user("officer@example.org", "officer", PASSWORD, body=body)
        db.session.commit()
        report, _receipt = create_report(filed_by=partner, categories=["assault", "threats", "illegal_search"])
        workflow.message_reporter(report.case, officer, "Which street was it?", report=report)
        db.session.commit()
        return report.id


def test_partner_list_and_follow_up_on_a_phone_in_arabic(live_server, phone):
    report_id = _setup(live_server.app)
    page = phone
    page.goto(live_server.url("/login?lang=ar"))
    page.fill("input[name=email]", "partner@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state()

    page.goto(live_server.url("/partner/reports"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(f'a[href="/partner/reports/{report_id}"]').count() == 1
    assert page.locator(".partner-report .badge.news").count() == 1
    assert_no_horizontal_scroll(page)
    assert run_axe(page) == []

    page.click(f'a[href="/partner/reports/{report_id}"]')
    page.wait_for_url(f"**/partner/reports/{report_id}")
    assert "Which street was it?" in page.content()
    assert_no_horizontal_scroll(page)
    assert run_axe(page) == []

    page.fill("textarea[name=body]", "شارع السوق، قرب البئر")
    page.click("form button.primary")
    page.wait_for_url(f"**/partner/reports/{report_id}")
    assert page.locator(".messages li.from-organisation").count() == 1
    assert page.locator(".badge.news").count() == 0
    assert_no_horizontal_scroll(page)
