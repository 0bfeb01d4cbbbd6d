"""Device tokens travel in URLs; they never reach a log line whole."""
from __future__ import annotations

import datetime
import logging
import pathlib
import runpy
from types import SimpleNamespace

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKEN = "dev_Q3vT9xLmN2pR7sK4wY8zA1bC5dE6fG0hJ_-iUoP"


def test_gunicorn_access_log_cuts_the_token():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("access_log_format", settings["access_log_format"])
    cfg.set("logger_class", settings["logger_class"])
    logger = cfg.logger_class(cfg)
    assert isinstance(logger, Logger)
    path = f"/openrosa/{TOKEN}/submission"
    request = SimpleNamespace(headers=[], method="POST", uri=path, path=path, query="", version=(1, 1))
    response = SimpleNamespace(status="201 CREATED", response_length=0, sent=0, headers=[])
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1"}
    line = settings["access_log_format"] % logger.atoms(response, request, environ, datetime.timedelta(milliseconds=5))
    assert '"POST /openrosa/dev_Q3vT9x…/submission HTTP/1.1" 201' in line
    assert TOKEN not in line and TOKEN[10:] not in line


def test_development_server_log_cuts_the_token(app, client, device, caplog):
    _partner, token = device
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s %s',
                               ("-", "date", f"GET /kobo/{token}/submission HTTP/1.1", "405", "-"), None)
    for f in logging.getLogger("werkzeug").filters:
        f.filter(record)
    assert token not in record.getMessage() and f"/kobo/{token[:10]}…/submission" in record.getMessage()
