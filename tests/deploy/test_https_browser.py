"""Over HTTPS as deployed (issue 8, item 1): nginx (deploy/nginx.conf, TLS) →
gunicorn (gunicorn.conf.py, production config) → PostgreSQL, Redis; a
phone-sized Chromium files a report with a photo larger than nginx's default
body limit, follows it up with the receipt, and staff sign in and open /cases.

Before the fix every form here ended on "Your form expired or was sent
twice": the site sends Referrer-Policy: no-referrer and Flask-WTF refused
HTTPS posts without a Referer.
"""
import io
import random
import re
from datetime import date, timedelta

import pyotp
import sqlalchemy as sa

from tests.fixtures.browser import assert_no_external_requests, assert_no_horizontal_scroll

RECEIPT = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")
PASSWORD = "correct horse battery staple"
EXPIRED = "Your form expired or was sent twice"
REFUSED = "could not be accepted as it was sent"


def big_jpeg(min_bytes: int = 1_200_000) -> bytes:
    """A noisy photo over 1 MiB (nginx refuses bodies over 1 MiB by default)."""
    from PIL import Image

    rng = random.Random(8)
    width, height = 1200, 1000
    img = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    data = out.getvalue()
    assert len(data) >= min_bytes, len(data)
    return data


def _officer(stack) -> str:
    from tracker.accounts import services
    from tracker.extensions import db
    from tracker.reference.models import OversightBody

    app = stack.app()
    with app.app_context():
        body = db.session.scalar(sa.select(OversightBody).filter_by(code="NOC"))
        officer = services.create_user("officer@example.org", "officer", PASSWORD, body=body, enrol_totp=True)
        db.session.commit()
        secret = services.totp_secret(officer)
        db.session.remove()
        db.engine.dispose()
    return secret


def _submit(page, selector="form button[type=submit], form input[type=submit]"):
    with page.expect_navigation():
        page.locator(selector).first.click()
    content = page.content()
    assert EXPIRED not in content and REFUSED not in content, f"form refused at {page.url}"


def _next_step(page):
    page.locator(".step:not([hidden]) button[name=nav][value=next]").click()


def _assert_secure_cookies(page):
    cookies = page.context.cookies()
    assert cookies, "no cookie set"
    for cookie in cookies:
        assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax", cookie


def test_phone_reports_follows_up_and_staff_sign_in_over_https(https_stack, new_phone):
    stack = https_stack
    secret = _officer(stack)
    page = new_phone(ignore_https_errors=True)

    # -- the report, with a 1+ MiB photo (body size through the proxy)
    response = page.goto(stack.url("/report?lang=en"))
    assert response.status == 200
    assert response.headers.get("strict-transport-security"), "HTTPS not seen behind the proxy"
    assert response.headers["referrer-policy"] == "no-referrer"
    # The form comes in steps (switched in the page with JavaScript); photos
    # are chosen on the last one, the review.
    page.check("input[name=categories][value=arbitrary_detention]")
    page.fill("#narrative", "They took my neighbour away at night.")
    _next_step(page)
    page.fill("#occurred_on", (date.today() - timedelta(days=4)).isoformat())
    _next_step(page)
    page.select_option("#region", page.locator("#region option:not([value=''])").first.get_attribute("value"))
    for _ in range(3):
        _next_step(page)
    page.set_input_files("#photos", files=[{"name": "street.jpg", "mimeType": "image/jpeg", "buffer": big_jpeg()}])
    _submit(page, ".step:not([hidden]) button[name=nav][value=send]")
    receipt = page.locator("#receipt").inner_text().strip()
    assert RECEIPT.match(receipt), page.content()[:2000]
    _assert_secure_cookies(page)
    assert_no_horizontal_scroll(page)

    # -- the follow-up with the receipt, and a message
    page.goto(stack.url("/followup"))
    page.fill("#receipt", receipt.replace(" ", ""))
    _submit(page, "form.followup-form button[type=submit]")
    assert page.locator("#status").inner_text().strip() != ""
    page.fill("#body", "The soldiers came back the next day.")
    _submit(page, "form:has(#body) button[type=submit]")
    assert page.get_by_text("The soldiers came back the next day.").is_visible()
    assert_no_external_requests(page)

    # -- static files: content-hashed names, compressed, cached for good (through nginx)
    href = page.locator("link[rel=stylesheet]").first.get_attribute("href")
    assert re.fullmatch(r"/static/tracker\.[0-9a-f]{12}\.css", href), href
    css = page.request.get(stack.url(href), headers={"Accept-Encoding": "br, gzip"})
    assert css.status == 200 and "immutable" in css.headers["cache-control"]
    assert css.headers.get("content-encoding") in ("br", "gzip")

    # -- staff sign in (password, then the TOTP code) and open /cases
    staff = new_phone(ignore_https_errors=True)
    staff.goto(stack.url("/login?lang=en"))
    staff.fill("input[name=email]", "officer@example.org")
    staff.fill("input[name=password]", PASSWORD)
    _submit(staff)
    staff.wait_for_url("**/login/code**")
    staff.fill("input[name=code]", pyotp.TOTP(secret).now())
    _submit(staff)
    staff.wait_for_url("**/cases**")
    assert staff.locator("h1").count() >= 1
    response = staff.goto(stack.url("/cases"))
    assert response.status == 200 and "/login" not in staff.url
    _assert_secure_cookies(staff)

    # -- the report, its photo and the message reached PostgreSQL
    from tracker.extensions import db
    from tracker.intake.models import Message, Photo, Report

    app = stack.app()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
        db.session.remove()
        db.engine.dispose()
