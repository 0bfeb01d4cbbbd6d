"""Language switching keeps the reader where they were."""
import re


def test_language_links_keep_the_page_and_its_query(client):
    html = client.get("/transparency?lang=en&province=XV03").get_data(as_text=True)
    links = dict(re.findall(r'<a href="([^"]+)" lang="([\w-]+)"', html))
    by_lang = {lang: href for href, lang in links.items()}
    assert set(by_lang) == {"es", "fr", "ar", "pt-BR", "fil"}
    for lang, href in by_lang.items():
        assert href.startswith("/transparency?")
        assert f"lang={lang.replace('-', '_')}" in href and "province=XV03" in href


def test_current_language_is_marked_not_linked(client):
    html = client.get("/?lang=fr").get_data(as_text=True)
    assert '<strong lang="fr">Français</strong>' in html
    assert 'hreflang="fr"' not in html
