"""Locale selection and template helpers.

Order: ``?lang=xx`` (remembered in the session), the session, the browser's
Accept-Language, the default.
"""
from flask import Flask, current_app, has_request_context, request, session, url_for
from flask_babel import get_locale


def select_locale() -> str:
    if not has_request_context():  # CLI, services called from tests: the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    asked = _configured(request.args.get("lang"), languages)
    if asked:
        if not request.path.startswith("/api/"):  # the JSON API sets no cookie
            session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in languages:
        return remembered
    best = request.accept_languages.best_match(list(languages))
    if best is None:  # "pt-PT" still gets Portuguese: match on the language alone
        primary = {code.split("_")[0]: code for code in reversed(list(languages))}
        best = next((primary[v.split("-")[0].split("_")[0].lower()] for v, _q in request.accept_languages
                     if v.split("-")[0].split("_")[0].lower() in primary), None)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def _configured(code: str | None, languages) -> str | None:
    """A shipped language code for ``code`` ("pt-BR", "pt_br" and "pt_BR" alike), or None."""
    if not code:
        return None
    if code in languages:
        return code
    folded = code.replace("-", "_").lower()
    return next((c for c in languages if c.lower() == folded), None)


def current_language() -> str:
    """The shipped language code in use ("en", "pt_BR", "fil" …)."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def html_lang(code: str | None = None) -> str:
    """The BCP 47 tag for HTML ``lang`` attributes ("pt-BR")."""
    return (code or current_language()).replace("_", "-")


def text_direction(lang: str | None = None) -> str:
    lang = lang or current_language()
    return "rtl" if lang in current_app.config["RTL_LANGUAGES"] else "ltr"


def localized(names: dict | None, lang: str | None = None) -> str:
    """Pick a name from a ``{lang: name}`` mapping, falling back to English."""
    if not names:
        return ""
    lang = lang or current_language()
    return names.get(lang) or names.get("en") or next(iter(names.values()))


def lang_url(code: str) -> str:
    """The current page in another language (query string kept)."""
    args = dict(request.view_args or {})
    query = request.args.to_dict()
    query["lang"] = code
    if request.endpoint and request.method == "GET":
        try:
            return url_for(request.endpoint, **args, **query)
        except Exception:  # noqa: BLE001 - endpoint needs values we do not have
            pass
    return url_for("public.home", lang=code)


def configure_i18n_templates(app: Flask) -> None:
    @app.context_processor
    def inject_i18n():
        return {
            "get_locale": get_locale,
            "current_language": current_language,
            "html_lang": html_lang,
            "text_direction": text_direction,
            "languages": app.config["LANGUAGES"],
            "lang_url": lang_url,
            "localized": localized,
        }
