"""/transparency: public, month × province, suppressed, every language,
light, and nothing from other sites."""
import gzip
import re
from datetime import timedelta

from flask_babel import refresh

from tests.metrics.rows import add_pulse, add_report


def _data(db):
    from tracker.core.db import utcnow

    today = utcnow().date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    for _ in range(25):
        add_report(occurred_on=last_month, region="XV0101")
    for _ in range(12):
        add_report(occurred_on=last_month, region="XV0102", force="NAVY", unit="CG2")
    for _ in range(4):
        add_report(occurred_on=last_month, region="XV0302")
    for i in range(40):
        add_pulse(region="XV0201", month=last_month.replace(day=1), respect=1 + i % 5, voice=3, safety=4)
    db.session.commit()
    return last_month


def test_month_by_province_with_suppression(app, db, client):
    month = _data(db)
    html = client.get("/transparency?lang=en").get_data(as_text=True)
    label = month.strftime("%Y-%m")
    row = re.search(rf'<th scope="row">{label}</th>(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    # Northern Highlands 37 (every force), Eastern Border 4 → hidden, and
    # with it the next-smallest figure of its row (the 37, the only other).
    assert cells[2] == "fewer than 10"
    assert cells[0] == "fewer than 10"
    assert cells[-1] == "41"
    assert "37" not in cells and "4" not in cells
    for c in cells:
        assert c in ("0", "fewer than 10") or int(c) >= 10
    # Province, never district; month, never week or day.
    assert "Alto Pinar" not in html and "Cerro Azul" not in html
    assert "-W" not in html and month.isoformat() not in html


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
