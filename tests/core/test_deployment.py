"""Production entry points keep the reporter's address out of every log."""
import datetime
import pathlib
import runpy
from types import SimpleNamespace

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_gunicorn_access_log_has_no_client_address():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    fmt = settings["access_log_format"]
    for atom in ("%(h)s", "%(a)s", "%(f)s", "forwarded", "x-real-ip"):
        assert atom not in fmt.lower(), atom

    cfg = Config()
    cfg.set("access_log_format", fmt)
    logger = Logger(cfg)
    request = SimpleNamespace(
        headers=[("X-FORWARDED-FOR", "203.0.113.7"), ("USER-AGENT", "Phone/1.0")],
        method="POST", uri="/report", path="/report", query="", version=(1, 1),
    )
    response = SimpleNamespace(status="303 SEE OTHER", response_length=0, sent=0, headers=[])
    environ = {"REMOTE_ADDR": "198.51.100.23", "REQUEST_METHOD": "POST", "RAW_URI": "/report",
               "PATH_INFO": "/report", "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
               "HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_USER_AGENT": "Phone/1.0"}
    line = fmt % logger.atoms(response, request, environ, datetime.timedelta(milliseconds=12))
    assert '"POST /report HTTP/1.1" 303' in line
    assert "198.51.100.23" not in line and "203.0.113.7" not in line and "Phone/1.0" not in line


def test_wsgi_entry_point_trusts_the_proxy_only_when_told(monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    monkeypatch.setenv("TRACKER_CONFIG", "testing")
    monkeypatch.delenv("TRACKER_PROXY_HOPS", raising=False)
    app = runpy.run_path(str(ROOT / "wsgi.py"))["app"]
    assert not isinstance(app.wsgi_app, ProxyFix)

    monkeypatch.setenv("TRACKER_PROXY_HOPS", "1")
    app = runpy.run_path(str(ROOT / "wsgi.py"))["app"]
    assert isinstance(app.wsgi_app, ProxyFix)
    assert app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    from tracker.extensions import db

    with app.app_context():  # on PostgreSQL, close the connection /healthz opened
        db.engine.dispose()
