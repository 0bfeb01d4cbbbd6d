"""Who reaches /trends, and what each commander sees: their force only,
their units only when the account names some, never a small count."""
import re
from datetime import date

import pytest

from tests.metrics.rows import add_report

NAVY_ONLY = ["Coast Guard Squadron 2", "Southern Coast and Waters", "Gulf of Sal"]


def figures(html: str) -> str:
    """The report figures: after the filter form (whose lists name every
    province) and before the community survey (public, about every force)."""
    return html[html.index('<nav class="toc"'):html.index('<section id="trust">')]


def test_anonymous_is_sent_to_sign_in(client):
    for url in ("/trends", "/trends?format=csv", "/trends/responses", "/trends/responses/new"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url


def test_anonymous_reaches_transparency(client):
    assert client.get("/transparency").status_code == 200


@pytest.mark.parametrize("role", ["admin", "officer", "partner"])
def test_other_roles_are_refused(client, login_as, role):
    login_as(role)
    assert client.get("/trends").status_code == 403
    assert client.get("/trends?format=csv").status_code == 403
    assert client.get("/trends/responses/new").status_code == 403


def csv_rows(text: str) -> list[dict]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def period_total(text: str) -> dict:
    """The CSV row of the period line's total (a sum over the range)."""
    return next(r for r in csv_rows(text) if r["Row"] == "Total" and ".." in r["period"]
                and r["table"] in ("total", "province", "category", "unit"))


def _assert_honest_total(csv: str, truth: int) -> None:
    """The range total is the sum of the published months, says "at least"
    when a month is hidden, and is never more than the truth."""
    rows = csv_rows(csv)
    total = period_total(csv)
    months = [r for r in rows if r["table"] == total["table"] and r["key"] == total["key"] and ".." not in r["period"]]
    shown = sum(int(r["value"]) for r in months if r["status"] == "published")
    hidden = [r for r in months if r["status"] != "published"]
    assert int(total["value"] or 0) == shown <= truth
    assert total["status"] == ("at_least" if hidden else "published")
    if not hidden:
        assert shown == truth


def test_commander_sees_their_force_and_never_another(client, login_as, trend_data):
    login_as("commander")  # ARMY
    html = figures(client.get("/trends").get_data(as_text=True))
    csv = client.get("/trends?format=csv").get_data(as_text=True)
    for text in NAVY_ONLY:
        assert text not in html and text not in csv
    # 1,514 ARMY reports in the published months (January to November: 1,500 + 14), none of NAVY's 132.
    _assert_honest_total(csv, 1514)
    total = period_total(csv)
    shown = f"{int(total['value']):,}"  # as the page writes it in English
    text = shown if total["status"] == "published" else f"at least {shown}"
    assert re.search(rf'data-table="total" data-period="2026-01..2026-11" data-key="\*" '
                     rf'data-status="{total["status"]}" data-value="{total["value"]}">{text}<', html)
    assert "4th Infantry Brigade" in html


def test_navy_commander_sees_only_navy(client, login_as, trend_data):
    login_as("commander", force="NAVY")
    html = figures(client.get("/trends").get_data(as_text=True))
    assert "Coast Guard Squadron 2" in html
    assert "4th Infantry Brigade" not in html and "Northern Highlands" not in html
    csv = client.get("/trends?format=csv").get_data(as_text=True)
    _assert_honest_total(csv, 132)
    assert period_total(csv)["scope"].startswith("force:")


def test_unit_scoped_commander_sees_only_their_units(app, client, login_as, make_user, trend_data):
    """A commander restricted to some units sees those units' rows of the
    force release and nothing else: no force totals, provinces, kinds of
    harm or severities (they include other units), no new figure."""
    import sqlalchemy as sa

    from tracker.extensions import db
    from tracker.reference.models import Unit

    sf1 = db.session.scalar(sa.select(Unit).filter_by(code="SF1"))
    user = make_user("commander", force="ARMY", units=[sf1])
    login_as(user)
    html = client.get("/trends").get_data(as_text=True)
    assert "4th Infantry Brigade" not in html  # not even in the unit list
    html = figures(html)
    csv = client.get("/trends?format=csv").get_data(as_text=True)
    assert "Special Forces Group 1" in html
    for other in ("4th Infantry Brigade", "12th Battalion", "Unit not known"):
        assert other not in html and other not in csv
    rows = csv_rows(csv)
    assert {r["table"] for r in rows} <= {"unit", "trust", "alert"}
    assert all(r["key"] == str(sf1.id) for r in rows if r["table"] == "unit")
    sf1_rows = [r for r in rows if r["table"] == "unit" and ".." in r["period"]]
    assert sf1_rows and sf1_rows[0]["value"] == "14"
    html = client.get(f"/trends?unit={sf1.id}&format=csv").get_data(as_text=True)
    assert period_total(html)["value"] == "14"
    # Asking for another unit by id is refused with a message, not shown.
    bde4 = db.session.scalar(sa.select(Unit).filter_by(code="BDE4"))
    html = client.get(f"/trends?unit={bde4.id}").get_data(as_text=True)
    assert "Choose a unit from the list." in html
    html = client.get("/trends?province=XV01").get_data(as_text=True)
    assert "Your account covers some units only" in html


def test_small_counts_are_hidden_in_html_and_csv(app, db, client, login_as):
    from tests.trends.conftest import publish

    for _ in range(30):
        add_report(occurred_on=date(2026, 10, 14), region="XV0101")
    for _ in range(3):
        add_report(occurred_on=date(2026, 10, 14), region="XV0302")
    db.session.commit()
    publish(db)
    login_as("commander")
    html = client.get("/trends?from=2026-10&to=2026-10&lang=en").get_data(as_text=True)
    csv = client.get("/trends?format=csv&from=2026-10&to=2026-10&lang=en").get_data(as_text=True)
    rows = {(r["table"], r["key"]): r for r in csv_rows(csv) if r["period"] == "2026-10"}
    assert rows[("province", "XV03")]["Value"] == "fewer than 10"
    assert rows[("province", "XV03")]["status"] == "primary"
    # The 30 is hidden too (with the total of 33 it would give the 3 away),
    # and says why: it is not "fewer than 10".
    assert rows[("province", "XV01")]["status"] == "secondary"
    assert rows[("province", "XV01")]["Value"] == "hidden to protect other figures"
    assert rows[("total", "*")]["value"] == "33"
    assert "hidden to protect other figures" in html
    for text in (html, csv):
        assert not re.search(r"(?<![\d.W-])3(?![\d.])\s*</td>", text)
        assert ",3," not in text and ",30," not in text


def test_bad_filters_get_a_message_and_keep_what_was_typed(client, login_as):
    login_as("commander")
    resp = client.get("/trends?from=March&to=2026-13&grain=daily&province=NOPE&category=nope")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400  # the client's mistake, explained on the page
    assert "Write the month as YYYY-MM" in html
    assert 'value="March"' in html
    assert "Choose weeks or months." in html
    assert "Choose a province from the list." in html
    assert "Choose a category from the list." in html


def test_filters_the_release_does_not_cover_get_a_message(client, login_as, trend_data):
    login_as("commander")
    html = client.get("/trends?province=XV03&category=torture&lang=en").get_data(as_text=True)
    assert "not for combinations" in html
    html = client.get("/trends?to=2026-12&lang=en").get_data(as_text=True)
    assert "Figures are published up to 2026-11" in html
    html = client.get("/trends?category=torture&grain=week&lang=en").get_data(as_text=True)
    assert "published by month only" in html


def test_filters_narrow_the_figures(client, login_as, trend_data):
    login_as("commander")
    csv = client.get("/trends?format=csv&category=torture").get_data(as_text=True)
    # The data hold 14 torture reports, all SF1's burst of 25 November. The
    # category figures are torture's only; whether November's 14 can be
    # published depends on the weekly cells it would help pin (ARMY's weeks
    # are thin), so the total is honest either way: exactly 14 when November
    # is published, "at least" what is published when it is hidden, and the
    # hidden month is never called "fewer than 10" (it holds 14).
    rows = csv_rows(csv)
    assert {r["key"] for r in rows if r["table"] == "category"} == {"torture"}
    _assert_honest_total(csv, 14)
    november = next(r for r in rows if r["table"] == "category" and r["period"] == "2026-11")
    if november["status"] == "published":
        assert november["value"] == "14"
    else:
        assert november["status"] == "secondary"
        assert november["Value"] == "hidden to protect other figures"
    csv = client.get("/trends?format=csv&province=XV03").get_data(as_text=True)
    assert "Cerro Azul" in csv  # districts of the chosen province
    assert "Alto Pinar" not in csv


def test_alert_with_explanation(client, login_as, trend_data):
    login_as("commander")
    html = client.get("/trends?lang=en").get_data(as_text=True)
    assert "14 reports this month in Special Forces Group 1" in html
    assert "unlikely to be chance" in html
    # By week, ARMY's weeks hold about 6 reports each: most weekly figures
    # are hidden, and an alert is only raised where all seven are published.
    html = client.get("/trends?grain=week&lang=en").get_data(as_text=True)
    alerts = re.findall(r'<li class="alert alert-count">(.*?)</li>', html, re.S)
    for a in alerts:
        assert "fewer than" not in a


def test_first_day_of_a_month_shows_the_last_complete_month(client, login_as, trend_data):
    """On 1 December the default view ends in November, the month that has
    just closed: its alerts are there, and nothing compares December."""
    login_as("commander")
    html = client.get("/trends?lang=en").get_data(as_text=True)
    assert "2026-12" not in figures(html)
    # The page is built from the releases of 1 December (a fixed clock: no
    # figure depends on the time of the request): it ends in November and
    # says that the figures cover complete months only; the month that has
    # just begun is not shown at all, so it is never compared as complete.
    assert re.search(r'name="to"[^>]*value="2026-11"|value="2026-11"[^>]*name="to"', html)
    assert "Figures last published on 2026-12-01; they cover complete months only" in html
    assert "reports this month in Special Forces Group 1" in html
    assert "in 2026-11." in html or "2026-11" in html.split('id="changed"')[1][:600]


def test_supervisor_may_see_every_force_or_one(client, login_as, trend_data):
    login_as("supervisor")
    csv = client.get("/trends?format=csv").get_data(as_text=True)
    assert period_total(csv)["scope"] == "all"
    _assert_honest_total(csv, 1646)
    csv = client.get("/trends?format=csv&force=NAVY").get_data(as_text=True)
    _assert_honest_total(csv, 132)


def test_charts_are_svg_with_titles_and_mirrored_for_arabic(client, login_as, trend_data):
    login_as("commander")
    html = client.get("/trends?lang=en").get_data(as_text=True)
    assert html.count('<svg class="chart"') >= 3
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+"', html)
    assert "<title id=" in html
    assert "style=" not in html and "<script>" not in html
    # The test app context outlives requests, and Flask-Babel caches the
    # locale in it: forget the English one.
    from flask_babel import refresh

    refresh()
    ar = client.get("/trends?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in ar
    assert 'text-anchor="end"' in ar  # labels start from the right


def test_csv_export_is_audited(app, db, client, login_as):
    import sqlalchemy as sa

    from tracker.audit.models import AuditEvent

    user = login_as("commander")
    client.get("/trends?format=csv&grain=week")
    ev = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "trends.exported"))
    assert ev is not None and ev.actor_user_id == user.id
    assert ev.data["filters"] == {"grain": "week"}
