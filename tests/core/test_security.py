"""Reporter safety on every response: strict headers, no caching of pages,
no address in rate-limit keys, secrets required in production."""
import json
import os

import pytest

from tracker import create_app
from tracker.core.secrets import MissingSecretError

PUBLIC_PAGES = ["/", "/report", "/followup", "/pulse", "/transparency", "/login"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_send_the_safety_headers(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "http" not in csp, "the CSP allows another origin"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client):
    for path in PUBLIC_PAGES:
        html = client.get(path).get_data(as_text=True)
        assert " style=" not in html, path
        assert " onclick=" not in html and " onload=" not in html, path
        assert "<script>" not in html and "<style" not in html, path


def test_static_files_may_be_cached(client):
    resp = client.get("/static/tracker.css")
    assert "no-store" not in resp.headers.get("Cache-Control", "")
    resp.close()


def test_only_session_cookie_is_set_and_it_is_httponly(client):
    resp = client.get("/report?lang=fr")
    cookies = resp.headers.getlist("Set-Cookie")
    assert len(cookies) <= 1
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_rate_limit_key_does_not_contain_the_address(app):
    from tracker.core.ratelimit import client_key

    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.77"}):
        key = client_key()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.78"}):
        other = client_key()
    assert "203.0.113" not in key
    assert key != other


def test_unknown_page_is_a_translated_404_not_a_500(client):
    resp = client.get("/no-such-page?lang=es")
    assert resp.status_code == 404
    assert 'lang="es"' in resp.get_data(as_text=True)


def test_production_refuses_to_start_without_its_secrets(monkeypatch):
    from config import ProductionConfig

    class Prod(ProductionConfig):
        SECRET_KEY = "x" * 40
        TRACKER_FIELD_KEYS = None
        TRACKER_RECEIPT_PEPPER = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(MissingSecretError) as exc:
        create_app(Prod)
    assert "TRACKER_FIELD_KEYS" in str(exc.value) and "TRACKER_RECEIPT_PEPPER" in str(exc.value)
    assert "SECRET_KEY" not in str(exc.value).split("variable(s)")[1].split("must")[0]


def test_development_generates_secrets_once_into_the_instance_folder(tmp_path, monkeypatch):
    from flask import Flask

    from config import DevelopmentConfig

    class Dev(DevelopmentConfig):
        SECRET_KEY = None
        TRACKER_FIELD_KEYS = None
        TRACKER_RECEIPT_PEPPER = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    original = Flask.__init__

    def init(self, *args, **kwargs):  # keep the real instance folder out of it
        kwargs["instance_path"] = str(tmp_path)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Flask, "__init__", init)
    app = create_app(Dev)
    path = tmp_path / "secrets.json"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    stored = json.loads(path.read_text())
    again = create_app(Dev)
    for name in ("SECRET_KEY", "TRACKER_FIELD_KEYS", "TRACKER_RECEIPT_PEPPER"):
        assert app.config[name] == stored[name] == again.config[name]
