"""Every string is translated, and the language the reader asked for is used.

DESIGN §9: English, Spanish, French and Arabic, every UI string translated
(a test fails on any missing or fuzzy entry), ``dir="rtl"`` for Arabic,
language from ``?lang=xx`` (remembered), else Accept-Language, else default.

When this fails after you added a string: ``make update-translations``, then
translate the new entries in translations/<lang>/LC_MESSAGES/messages.po.
"""
import os
import pathlib
import re
import sys

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from config import Config

ROOT = pathlib.Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = list(Config.LANGUAGES)
TRANSLATED = [code for code in LANGUAGES if code != Config.BABEL_DEFAULT_LOCALE]
# The same options as `make extract-messages` (see the Makefile).
EXTRACT_ARGS = [
    "-F", "babel.cfg", "-c", "Translators:", "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2",
    "--no-location", "--sort-output", "--project", "Tracker",
]


def _catalog_path(lang: str) -> pathlib.Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def _read(path: pathlib.Path, locale: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _ids(catalog) -> set:
    return {(message.context, message.id if isinstance(message.id, str) else tuple(message.id))
            for message in catalog if message.id}


def _show(key) -> str:
    context, msgid = key
    text = msgid if isinstance(msgid, str) else " | ".join(msgid)
    return f"[{context}] {text}" if context else text


def _makefile_extract_args() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(line for line in makefile.splitlines() if "pybabel extract" in line)
    return line.split("pybabel extract", 1)[1].split()


@pytest.fixture(scope="module")
def fresh_extraction(tmp_path_factory):
    """What `make extract-messages` would write now, into a temporary file."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    cli = CommandLineInterface()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        cli.run([sys.argv[0], "-q", "extract", *EXTRACT_ARGS, "-o", str(out), "."])
    finally:
        os.chdir(cwd)
    return _read(out)


def test_extraction_options_match_the_makefile():
    args = _makefile_extract_args()
    for option in EXTRACT_ARGS:
        assert option in args, f"Makefile's pybabel extract lacks {option}"


def test_messages_pot_is_up_to_date_with_the_source(fresh_extraction):
    pot = TRANSLATIONS / "messages.pot"
    assert pot.exists(), "translations/messages.pot is missing: run make extract-messages"
    stored = _ids(_read(pot))
    fresh = _ids(fresh_extraction)
    missing = sorted(map(_show, fresh - stored))
    stale = sorted(map(_show, stored - fresh))
    assert not missing, "strings in the code but not in messages.pot (make update-translations):\n" + "\n".join(missing)
    assert not stale, "strings in messages.pot no longer in the code (make update-translations):\n" + "\n".join(stale)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_is_complete_and_not_fuzzy(lang, fresh_extraction):
    path = _catalog_path(lang)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    catalog = _read(path, locale=lang)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy:
            problems.append(f"fuzzy: {_show((message.context, message.id))}")
        elif not all(s and s.strip() for s in strings) or len(strings) < (catalog.num_plurals if message.pluralizable else 1):
            problems.append(f"untranslated: {_show((message.context, message.id))}")
    missing = sorted(map(_show, _ids(fresh_extraction) - _ids(catalog)))
    problems += [f"not in the catalog: {m}" for m in missing]
    assert not problems, f"{lang}: {len(problems)} problem(s):\n" + "\n".join(problems[:60])


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_placeholders_match(lang):
    """A translation with a wrong %(name)s would raise at run time."""
    path = _catalog_path(lang)
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing")
    catalog = _read(path, locale=lang)
    errors = [f"{_show((m.context, m.id))}: {'; '.join(map(str, errs))}" for m, errs in catalog.check()]
    assert not errors, "\n".join(errors)


# --------------------------------------------------------------- selection
def _html_tag(resp) -> str:
    match = re.search(r"<html[^>]*>", resp.get_data(as_text=True))
    assert match, "no <html> tag"
    return match.group(0)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders_with_its_lang_and_direction(app, client, lang):
    from flask_babel import force_locale, gettext

    resp = client.get(f"/?lang={lang}")
    assert resp.status_code == 200
    tag = _html_tag(resp)
    assert f'lang="{lang.replace("_", "-")}"' in tag  # BCP 47 in HTML: pt-BR
    assert f'dir="{"rtl" if lang in Config.RTL_LANGUAGES else "ltr"}"' in tag

    with app.test_request_context(), force_locale(lang):
        quick_exit = gettext("Quick exit")
    if lang != Config.BABEL_DEFAULT_LOCALE:
        assert quick_exit != "Quick exit", f"no {lang} translation used (catalog missing or not compiled?)"
    assert quick_exit in resp.get_data(as_text=True)


def test_regional_tags_and_other_regions_find_the_shipped_language(client):
    assert 'lang="pt-BR"' in _html_tag(client.get("/?lang=pt-BR"))
    assert 'lang="pt-BR"' in _html_tag(client.get("/?lang=pt_br"))
    fresh = client.application.test_client()
    assert 'lang="pt-BR"' in _html_tag(fresh.get("/", headers={"Accept-Language": "pt-PT,pt;q=0.9"}))
    fresh = client.application.test_client()
    assert 'lang="fil"' in _html_tag(fresh.get("/", headers={"Accept-Language": "fil-PH"}))


def test_lang_parameter_is_remembered(client):
    client.get("/?lang=ar")
    tag = _html_tag(client.get("/report"))
    assert 'lang="ar"' in tag and 'dir="rtl"' in tag
    # The browser's own preference does not override an explicit choice.
    tag = _html_tag(client.get("/", headers={"Accept-Language": "fr"}))
    assert 'lang="ar"' in tag


def test_browser_language_is_honoured(client):
    tag = _html_tag(client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}))
    assert 'lang="es"' in tag and 'dir="ltr"' in tag


def test_unsupported_language_falls_back(client):
    tag = _html_tag(client.get("/?lang=xx", headers={"Accept-Language": "de-DE,de;q=0.9"}))
    assert f'lang="{Config.BABEL_DEFAULT_LOCALE}"' in tag
