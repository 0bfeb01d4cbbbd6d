"""/transparency's province map (issue 9 item 5): drawn from the stored
outlines, coloured by the same published figures as the table beside it,
hidden figures hatched and labelled hidden, never finer than a province."""
import re

from tests.public.test_transparency import _data

PROVINCES = ["Northern Highlands", "River Valley", "Eastern Border", "Southern Coast and Waters"]


def _totals(html: str) -> list[tuple[str, str]]:
    """(status, text shown) of the table's province totals, not the grand total."""
    foot = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    return re.findall(r'<td class="num"[^>]*data-status="(\w+)"[^>]*>([^<]*)</td>', foot)[:-1]


def test_map_shows_the_tables_province_totals_and_hides_what_the_table_hides(app, db, client):
    _data(db)
    html = client.get("/transparency?lang=en").get_data(as_text=True)
    svg = re.search(r'<svg[^>]*class="province-map"[^>]*>.*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and "aria-label=" in svg
    paths = re.findall(r'<path d="[^"]+" fill="([^"]+)"[^>]*data-pcode="(XV\d\d)"><title>([^<]*)</title>', svg)
    assert [p[1] for p in paths] == ["XV01", "XV02", "XV03", "XV04"]
    totals = _totals(html)
    assert len(totals) == 4 and any(status != "published" for status, _shown in totals)  # the fixture hides some
    for (fill, _pcode, title), name, (status, shown) in zip(paths, PROVINCES, totals, strict=True):
        assert title.startswith(name + ": ")
        if status != "published":
            assert fill == "url(#map-hidden)" and title.endswith("hidden to protect privacy")
        else:
            assert fill.startswith("#") and title == f"{name}: {shown}"
    # Nothing finer than a province; the legend names the hatch; the table is still there.
    assert "Alto Pinar" not in html and "XV0101" not in html
    assert "hidden to protect privacy" in html[html.index('class="map-legend"'):]
    assert html.index('class="province-map"') < html.index("<caption>")


def test_map_figures_are_never_a_hidden_number(app, db, client):
    _data(db)
    html = client.get("/transparency?lang=en").get_data(as_text=True)
    svg = re.search(r'<svg[^>]*class="province-map".*?</svg>', html, re.S).group(0)
    for number in ("37", "4", "12", "25"):
        assert f": {number}<" not in svg


def test_map_in_arabic_uses_arabic_names(app, db, client):
    _data(db)
    html = client.get("/transparency?lang=ar").get_data(as_text=True)
    assert "المرتفعات الشمالية" in re.search(r'class="province-map".*?</svg>', html, re.S).group(0)
