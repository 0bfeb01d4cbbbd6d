"""The report form is light enough for a slow phone connection (issue 2,
item 11): at most 30 KB over the wire with its CSS and scripts, compressed as
a server sends them, no web fonts, nothing from another origin.
Full table: ``make bench`` (bench/page_weight.py)."""
import pytest

from bench.page_weight import BUDGET, measure


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_report_form_fits_the_budget(app, client, lang):
    page = measure(client, "/report", lang)
    assert page.status == 200
    kinds = {r.kind for r in page.resources}
    assert {"html", "css", "js"} <= kinds, page.resources  # the measure saw the assets
    assert page.external == [], "the report form loads something from another origin"
    assert page.fonts == [], "the report form uses web fonts"
    assert page.total <= BUDGET, f"/report ({lang}) weighs {page.total} bytes compressed, over {BUDGET}"


def test_measure_counts_what_a_page_references(app, client):
    """The measure follows stylesheets and scripts, and flags outside URLs."""
    from bench.page_weight import _Resources

    parser = _Resources()
    parser.feed('<link rel="stylesheet" href="/static/tracker.css"><script src="https://cdn.example/x.js"></script>'
                '<a href="https://www.wikipedia.org/">exit</a><img src="/static/x.png" srcset="/static/y.png 2x">')
    assert parser.urls == ["/static/tracker.css", "https://cdn.example/x.js", "/static/x.png", "/static/y.png"]
