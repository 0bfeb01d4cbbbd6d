"""/trends (commander) and /transparency (anyone) on a 360-px phone, in
English and Arabic: no sideways scrolling, nothing from other sites, no
serious axe-core violation, charts readable without JavaScript."""
import random
from datetime import timedelta

import pytest

from tests.fixtures.browser import assert_no_external_requests, assert_no_horizontal_scroll, run_axe
from tests.fixtures.snapshot import SharedData
from tests.metrics.rows import add_pulse, add_report

PASSWORD = "correct horse battery staple"


def _build(db):
    """200 reports over the last 300 days, trust answers for last month, the
    releases published today, and a commander."""
    from tracker.accounts import services
    from tracker.core.db import utcnow

    rng = random.Random(3)
    today = utcnow().date()
    for _ in range(200):
        add_report(
            occurred_on=today - timedelta(days=rng.randint(0, 300)),
            region=rng.choice(["XV0101", "XV0201", "XV0302", "XV0401"]),
            unit=rng.choice(["BDE4", "BN12", "SF1"]),
            categories=rng.sample(["assault", "threats", "arbitrary_detention", "illegal_search"], 2),
        )
    for _ in range(60):
        add_pulse(region="XV0302", month=(today.replace(day=1) - timedelta(days=1)).replace(day=1),
                  respect=rng.randint(1, 5), safety=3)  # last month: published
    db.session.commit()
    from tracker.metrics.release import publish_due

    publish_due(today)  # the pages show the published release (issue 7)
    db.session.commit()
    services.create_user("commander@example.org", "commander", PASSWORD, force="ARMY")
    db.session.commit()


@pytest.fixture(scope="module")
def _pages_data(_postgres_schema):
    """``_build`` once for the module (publishing ten months takes most of
    a test's time), dated: built again if the UTC day changes."""
    shared = SharedData("trends_pages", _build, on_postgres=_postgres_schema, dated=True)
    shared.ensure_built()
    yield shared
    shared.drop()


def _fill(app, shared):
    """The live server's database gets an exact copy of ``_build``'s."""
    from tracker.extensions import db

    with app.app_context():
        shared.restore(db)


def _sign_in(page, live_server):
    page.goto(live_server.url("/login?lang=en"))
    page.fill("input[name=email]", "commander@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url("**/trends**")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_trends_fit_a_phone(_pages_data, live_server, phone, lang):
    _fill(live_server.app, _pages_data)
    _sign_in(phone, live_server)
    for path in (f"/trends?lang={lang}", f"/trends?grain=week&province=XV03&lang={lang}"):
        response = phone.goto(live_server.url(path))
        assert response.status == 200
        assert phone.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        assert phone.locator("svg.chart").count() >= 3
        assert_no_horizontal_scroll(phone)
        assert run_axe(phone) == []
    assert_no_external_requests(phone)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_transparency_fits_a_phone(_pages_data, live_server, phone, phone_nojs, lang):
    _fill(live_server.app, _pages_data)
    for page in (phone, phone_nojs):
        response = page.goto(live_server.url(f"/transparency?lang={lang}"))
        assert response.status == 200
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator("svg.chart").count() >= 2
        assert_no_horizontal_scroll(page)
        assert_no_external_requests(page)
    assert run_axe(phone) == []
