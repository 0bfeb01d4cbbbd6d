"""Commander responses carry their language and may have translations
(issue 9, item 7): a supervisor of the overseeing body adds them (audited,
one per language, only once the response is approved); a reader gets their
own language when a translation exists, otherwise the original, marked as
such in the reader's language."""
import re

import pytest
import sqlalchemy as sa
from flask_babel import refresh

from tests.fixtures.accounts import csrf_token
from tracker.audit.models import AuditEvent
from tracker.responses.models import CommanderResponse, ResponseTranslation

SPANISH = "Suspendimos la patrulla y abrimos una investigación interna."
FRENCH = "Nous avons suspendu la patrouille et ouvert une enquête interne."


def _write(client, text=SPANISH, lang="es", action="submit"):
    """The commander writes in ``lang`` (the language of their pages)."""
    client.get(f"/trends/responses?lang={lang}")
    token = csrf_token(client, "/trends/responses/new")
    resp = client.post("/trends/responses/new", data={
        "csrf_token": token, "text": text, "grain": "month", "period": "2026-11-02", "unit": "", "action": action})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _review(client, response_id, action="approve", note=""):
    url = f"/trends/responses/{response_id}"
    resp = client.post(url, data={"csrf_token": csrf_token(client, url), "action": action, "note": note})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def _translate(client, response_id, language, text):
    url = f"/trends/responses/{response_id}"
    token = csrf_token(client, "/account")
    return client.post(f"{url}/translation", data={"csrf_token": token, "language": language, "translation": text})


def _said_did(html: str) -> str:
    """The "You said, we did" list of the transparency page."""
    m = re.search(r'<ul class="said-did">(.*?)</ul>', html, re.S)
    assert m, "no published responses on the page"
    return m.group(1)


@pytest.fixture
def approved(app, client, login_as):
    """A Spanish response of ARMY, approved; ``client`` is its commander,
    the returned client a supervisor of the overseeing body."""
    login_as("commander")
    response_id = _write(client)
    supervisor = app.test_client()
    login_as("supervisor", client_=supervisor)
    _review(supervisor, response_id)
    return response_id, supervisor


def test_french_translation_is_audited_and_shown_to_french_readers(app, db, approved):
    response_id, supervisor = approved
    resp = _translate(supervisor, response_id, "fr", FRENCH)
    assert resp.status_code == 302
    rows = db.session.execute(sa.select(ResponseTranslation.language, ResponseTranslation.text)).all()
    assert rows == [("fr", FRENCH)]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "response.translated"))
    assert event is not None and event.object_id == response_id and event.data["language"] == "fr"

    reader = app.test_client()
    refresh()
    html = _said_did(reader.get("/transparency?lang=fr").get_data(as_text=True))
    assert f'lang="fr" dir="auto">{FRENCH}<' in html
    assert SPANISH not in html
    assert "Traduction de l’organe de contrôle. Original en espagnol." in html


def test_reader_without_a_translation_gets_the_original_marked_in_their_language(app, approved):
    response_id, supervisor = approved
    assert _translate(supervisor, response_id, "fr", FRENCH).status_code == 302
    reader = app.test_client()
    refresh()
    html = _said_did(reader.get("/transparency?lang=ar").get_data(as_text=True))
    assert f'lang="es" dir="auto">{SPANISH}<' in html
    assert FRENCH not in html
    assert "النص الأصلي باللغة الإسبانية (لم يُترجم بعد)." in html
    # English readers: the same, in English; Spanish readers get it unmarked.
    refresh()
    html = _said_did(reader.get("/transparency?lang=en").get_data(as_text=True))
    assert f'lang="es" dir="auto">{SPANISH}<' in html and "Original in Spanish (not translated yet)." in html
    refresh()
    html = _said_did(reader.get("/transparency?lang=es").get_data(as_text=True))
    assert f'lang="es" dir="auto">{SPANISH}<' in html and "response-lang" not in html


def test_trends_response_pages_carry_the_language_too(app, client, approved):
    response_id, supervisor = approved
    assert _translate(supervisor, response_id, "fr", FRENCH).status_code == 302
    refresh()
    listing = client.get("/trends/responses?lang=fr").get_data(as_text=True)  # the commander, in French
    assert f'lang="fr" dir="auto">{FRENCH}<' in listing
    refresh()
    listing = client.get("/trends/responses?lang=pt_BR").get_data(as_text=True)
    assert f'lang="es" dir="auto">{SPANISH}<' in listing
    assert "Original em espanhol (ainda não traduzido)." in listing
    page = supervisor.get(f"/trends/responses/{response_id}?lang=en").get_data(as_text=True)
    assert f'<blockquote lang="es" dir="auto">{SPANISH}</blockquote>' in page
    assert f'<blockquote lang="fr" dir="auto">{FRENCH}</blockquote>' in page
    # The translations section is on the page once, and not in its <title>.
    assert page.count('id="translations"') == 1
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title and FRENCH not in title


def test_one_translation_per_language_a_new_one_replaces_it(db, approved):
    response_id, supervisor = approved
    assert _translate(supervisor, response_id, "fr", "Première version.").status_code == 302
    assert _translate(supervisor, response_id, "fr", FRENCH).status_code == 302
    db.session.expire_all()
    rows = db.session.execute(sa.select(ResponseTranslation.language, ResponseTranslation.text)).all()
    assert rows == [("fr", FRENCH)]
    data = db.session.scalars(
        sa.select(AuditEvent.data).where(AuditEvent.action == "response.translated").order_by(AuditEvent.id)).all()
    assert [(d["language"], d["replaced"]) for d in data] == [("fr", False), ("fr", True)]


@pytest.mark.parametrize(("language", "text", "message"), [
    ("es", "Otra versión.", "The response was written in this language: choose another one."),
    ("de", "Wir haben die Patrouille ausgesetzt.", "Choose a language from the list."),
    ("", "Texte.", "Choose a language from the list."),
    ("fr", "   ", "Write the translation."),
])
def test_refused_translations_say_why_and_store_nothing(db, approved, language, text, message):
    response_id, supervisor = approved
    resp = _translate(supervisor, response_id, language, text)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResponseTranslation)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "response.translated")) == 0


# Who may add a translation: written out from DESIGN §1 and issue 9 item 7
# (supervisors of the overseeing body), not from the code.
ROLE_OUTCOMES = [
    ("anonymous", "login"),
    ("partner", 403),
    ("officer", 403),
    ("commander", 403),  # even the response's own author
    ("admin", 403),
    ("other-body supervisor", 400),  # may read it in context, may not translate
    ("supervisor", 302),
]


@pytest.mark.parametrize(("who", "outcome"), ROLE_OUTCOMES)
def test_who_may_add_a_translation(app, db, client, login_as, approved, who, outcome):
    response_id, _supervisor = approved
    other = app.test_client()
    if who == "other-body supervisor":
        login_as("supervisor", client_=other, body="OTHER")
    elif who == "commander":
        other = client  # the author
    elif who != "anonymous":
        login_as(who, client_=other)
    token = csrf_token(other, "/login" if who == "anonymous" else "/account")
    resp = other.post(f"/trends/responses/{response_id}/translation",
                      data={"csrf_token": token, "language": "fr", "translation": FRENCH})
    if outcome == "login":
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    else:
        assert resp.status_code == outcome
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(ResponseTranslation))
    assert stored == (1 if outcome == 302 else 0)
    page = other.get(f"/trends/responses/{response_id}")
    shows_form = page.status_code == 200 and "Save translation" in page.get_data(as_text=True)
    assert shows_form == (outcome == 302)


def test_public_page_never_shows_unapproved_text(app, db, client, login_as):
    login_as("commander")
    submitted = _write(client, text="Texto enviado, aún sin aprobar.")
    returned = _write(client, text="Texto devuelto al comandante.")
    draft = _write(client, text="Borrador que nadie ha visto.", action="save")
    supervisor = app.test_client()
    login_as("supervisor", client_=supervisor)
    _review(supervisor, returned, "return", "Diga qué unidad.")
    # Nothing that is not approved can be translated either.
    for response_id in (submitted, returned):
        assert _translate(supervisor, response_id, "fr", "Traduction d’un texte non approuvé.").status_code == 400
    assert _translate(supervisor, draft, "fr", "Traduction d’un brouillon.").status_code == 404
    db.session.expire_all()
    assert {r.status for r in db.session.scalars(sa.select(CommanderResponse))} == {"submitted", "returned", "draft"}
    anon = app.test_client()
    for lang in ("en", "es", "fr", "ar", "pt_BR", "fil"):
        refresh()
        html = anon.get(f"/transparency?lang={lang}").get_data(as_text=True)
        for text in ("Texto enviado", "Texto devuelto", "Borrador", "Traduction d"):
            assert text not in html, (lang, text)
        hxl = anon.get("/transparency/hxl").get_data(as_text=True)
        assert "Texto" not in hxl and "Borrador" not in hxl
