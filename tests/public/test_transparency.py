"""/transparency: public, month × province, suppressed, every language,
light, and nothing from other sites."""
import gzip
import io
import re
from datetime import date

from flask_babel import refresh

from tests.metrics.rows import add_pulse, add_report
from tracker.metrics.release import publish_due

MONTH = date(2026, 10, 1)
TODAY = date(2026, 12, 1)


def _data(db):
    day = date(2026, 10, 14)
    for _ in range(25):
        add_report(occurred_on=day, region="XV0101")
    for _ in range(12):
        add_report(occurred_on=day, region="XV0102", force="NAVY", unit="CG2")
    for _ in range(4):
        add_report(occurred_on=day, region="XV0302")
    for i in range(40):
        add_pulse(region="XV0201", month=MONTH, respect=1 + i % 5, voice=3, safety=4)
    db.session.commit()
    publish_due(TODAY)
    db.session.commit()
    return MONTH


def _row(html, label):
    row = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="num"[^>]*data-status="(\w+)"[^>]*>([^<]*)</td>', row)


def test_month_by_province_with_suppression(app, db, client):
    month = _data(db)
    html = client.get("/transparency?lang=en").get_data(as_text=True)
    cells = _row(html, month.strftime("%Y-%m"))
    # Northern Highlands 37 (every force), Eastern Border 4 → hidden, and
    # with it the only other non-zero figure of its row (the 37), which
    # says why it is hidden instead of claiming "fewer than 10".
    assert cells[2] == ("primary", "fewer than 10")
    assert cells[0] == ("secondary", "hidden to protect other figures")
    assert cells[-1] == ("published", "41")
    texts = [t for _s, t in cells]
    assert "37" not in texts and "4" not in texts
    for status, text in cells:
        assert status != "published" or text == "0" or int(text) >= 10
    # Province, never district; month, never week or day.
    assert "Alto Pinar" not in html and "Cerro Azul" not in html
    assert "-W" not in html and "2026-10-14" not in html
    assert "Figures last published on" in html


def test_no_row_for_a_month_that_has_not_closed(app, db, client):
    _data(db)
    for _ in range(20):
        add_report(occurred_on=date(2026, 11, 30), region="XV0101")  # week 49: a December week
    db.session.commit()
    html = client.get("/transparency?lang=en").get_data(as_text=True)
    assert '<th scope="row">2026-12</th>' not in html
    assert '<th scope="row">2026-11</th>' in html


def test_a_new_report_does_not_move_published_figures(app, db, client):
    _data(db)
    before = client.get("/transparency/hxl").get_data(as_text=True)
    add_report(occurred_on=date(2026, 10, 15), region="XV0101")
    db.session.commit()
    publish_due(TODAY)  # the nightly job: October is already published, frozen
    db.session.commit()
    assert client.get("/transparency/hxl").get_data(as_text=True) == before


def test_hxl_export_parses_and_shows_nothing_hidden(app, db, client):
    import hxl

    _data(db)
    html = client.get("/transparency?lang=en").get_data(as_text=True)
    resp = client.get("/transparency/hxl")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    data = hxl.data(io.BytesIO(resp.data))
    tags = [c.display_tag for c in data.columns]
    assert "#date+month" in tags and "#adm1+code" in tags and "#adm1+name" in tags
    assert "#affected+num+reports" in tags or "#affected+reports+num" in tags
    shown = {}
    for row in data:
        shown[(row.get("#date"), row.get("#adm1+code"))] = (row.get("#affected") or "", row.get("#status"))
    # Every figure the page hides is empty here too, with the same status.
    codes = ["XV01", "XV02", "XV03", "XV04"]
    for (status, text), code in zip(_row(html, "2026-10"), codes, strict=False):
        value, hxl_status = shown[("2026-10", code)]
        assert hxl_status == status
        assert (value or "") == (text if status == "published" else "")
    assert shown[("2026-10", "XV01")] == ("", "secondary")
    assert shown[("2026-10", "XV03")] == ("", "primary")
    # The trust figure of River Valley (40 answers) is published on both.
    data = hxl.data(io.BytesIO(resp.data))  # read again: the first pass consumed it
    trust = [row.get("#indicator+trust+n") for row in data
             if row.get("#adm1+code") == "XV02" and row.get("#date") == "2026-10"]
    assert trust == ["40"]


def test_trust_index_and_method_are_shown(app, db, client):
    _data(db)
    html = client.get("/transparency?lang=en").get_data(as_text=True)
    assert "River Valley" in html  # the 40 answers
    assert "How the trust index is computed" in html
    assert "low confidence" in html


def test_every_language_and_rtl(app, db, client):
    _data(db)
    for lang, direction, name in (
        ("es", "ltr", "Tierras Altas del Norte"),
        ("fr", "ltr", "Hautes-Terres du Nord"),
        ("ar", "rtl", "المرتفعات الشمالية"),
    ):
        refresh()
        html = client.get(f"/transparency?lang={lang}").get_data(as_text=True)
        assert f'<html lang="{lang}" dir="{direction}">' in html
        assert name in html and "Northern Highlands" not in html


def test_light_and_no_third_party_requests(app, db, client):
    _data(db)
    resp = client.get("/transparency")
    html = resp.get_data(as_text=True)
    assert "Cache-Control" in resp.headers
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(re.fullmatch(r"/static/charts\.[0-9a-f]{12}\.css", a) for a in assets)
    total = len(gzip.compress(resp.data))
    for path in assets:
        asset = client.get(path)
        total += len(gzip.compress(asset.data))
        asset.close()
    assert total <= 30 * 1024, f"{total} bytes compressed"
    # Nothing loaded from another origin (the quick-exit link is a link, not a load).
    assert not re.search(r'(?:src|srcset|data)="(?:https?:)?//', html)
    assert not re.search(r'<link[^>]+href="(?:https?:)?//', html)
    assert "style=" not in html and "<script>" not in html


def test_empty_database_still_renders(client):
    resp = client.get("/transparency")
    assert resp.status_code == 200
    assert "No responses from commanders have been published yet." in resp.get_data(as_text=True)
