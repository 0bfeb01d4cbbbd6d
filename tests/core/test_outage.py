"""The database is away (issue 8, item 5): 503 with Retry-After, the report
form kept, /healthz 503 — never a 500, nor a bare one when the error
handler's own rollback fails.

"Away" is real: an app whose database is a PostgreSQL URL on a port where
nothing listens (connection refused, as during a restart), next to the
normal ``app`` fixture whose session cookies it accepts (same secret key).
"""
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.fixtures.mail import free_port
from tests.intake.test_views import hidden, valid_form
from tracker import create_app
from tracker.extensions import db as _db
from tracker.extensions import limiter
from tracker.intake import forms

UNAVAILABLE_EN = "Everything you typed is below: please send it again in a minute."


@pytest.fixture
def down_app(app):
    """The same app, but its database does not answer."""
    closed = free_port()
    broken = create_app("testing", SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{closed}/x",
                        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}})
    was = limiter.enabled
    limiter.enabled = False
    yield broken
    limiter.enabled = was
    with broken.app_context():
        _db.engine.dispose()


def assert_retry_after(resp):
    assert resp.headers.get("Retry-After", "").isdigit(), resp.headers


def test_api_report_is_503_json_with_retry_after(down_app, report_payload):
    resp = down_app.test_client().post("/api/v1/reports", json=report_payload())
    assert resp.status_code == 503
    assert resp.is_json and resp.get_json()["error"]
    assert_retry_after(resp)


def test_api_followup_and_pulse_are_503(down_app):
    client = down_app.test_client()
    resp = client.post("/api/v1/followup", json={"receipt": "1234567812345678"})
    assert resp.status_code == 503 and resp.is_json
    assert_retry_after(resp)


def test_healthz_is_503(down_app, client):
    assert client.get("/healthz").status_code == 200
    resp = down_app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["status"] == "unavailable"
    assert_retry_after(resp)


def test_report_form_keeps_everything_typed(down_app, client):
    data = valid_form(client)  # the page was loaded while the database answered
    down = down_app.test_client()
    down.set_cookie("session", client.get_cookie("session").value)
    resp = down.post("/report", data=data, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503, page[:800]
    assert_retry_after(resp)
    assert UNAVAILABLE_EN in page
    assert "They beat my neighbour in front of the school." in page
    assert 'value="Fatima"' in page and 'value="0999 123 456"' in page and 'value="Road to the school"' in page
    assert 'value="assault" checked' in page or 'checked id="categories-' in page
    assert '<option value="XV0102" selected>' in page  # the district, with its name from the last load
    assert hidden(page, "idempotency_key") == data["idempotency_key"]
    assert 'name="csrf_token"' in page


def _send_to_a_fresh_worker(down_app, client, monkeypatch, data: dict, lang: str):
    """POST the form, while the database is down, to a worker that never
    loaded the lists (none of their choices in memory)."""
    monkeypatch.setattr(forms, "_LAST_CHOICES", {})
    down = down_app.test_client()
    down.set_cookie("session", client.get_cookie("session").value)
    resp = down.post(f"/report?lang={lang}", data=data, content_type="multipart/form-data")
    return resp, resp.get_data(as_text=True)


def test_report_form_kept_even_without_any_loaded_choices(down_app, client, monkeypatch):
    """A worker that never showed the form: what was typed is offered back as is."""
    resp, page = _send_to_a_fresh_worker(down_app, client, monkeypatch, valid_form(client), "fr")
    assert resp.status_code == 503
    assert "Tout ce que vous avez saisi est ci-dessous" in page
    assert '<option value="XV0102" selected>' in page
    assert "They beat my neighbour in front of the school." in page


@pytest.mark.parametrize("blank", ["unit", "force", "operation", "region"])
def test_report_form_kept_without_loaded_choices_when_a_list_was_left_blank(down_app, client, monkeypatch, blank):
    """A worker that never showed the form, and a list the reporter left
    blank (seen in CI through gunicorn: a report without a unit came back as
    the plain error page, its narrative lost)."""
    data = valid_form(client, **{blank: ""})
    resp, page = _send_to_a_fresh_worker(down_app, client, monkeypatch, data, "es")
    assert resp.status_code == 503
    assert "Todo lo que escribió está abajo" in page
    assert "They beat my neighbour in front of the school." in page
    assert 'value="Fatima"' in page
    assert hidden(page, "idempotency_key") == data["idempotency_key"]


def test_pages_are_503_not_500(down_app, monkeypatch):
    monkeypatch.setattr(forms, "_LAST_CHOICES", {})
    client = down_app.test_client()
    for path in ("/report", "/transparency", "/pulse"):
        resp = client.get(path)
        assert resp.status_code == 503, (path, resp.status_code)
        assert_retry_after(resp)
        assert "briefly unavailable" in resp.get_data(as_text=True)


def test_signed_in_staff_page_is_503_not_500(down_app, client, login_as):
    login_as("officer")
    assert client.get("/cases").status_code == 200
    down = down_app.test_client()
    down.set_cookie("session", client.get_cookie("session").value)
    resp = down.get("/cases")
    assert resp.status_code == 503
    assert_retry_after(resp)


def _failing_rollback(self):
    raise sa.exc.OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))


def test_failing_rollback_still_gives_503(down_app, report_payload, monkeypatch):
    """The case of the issue: the error handler's own rollback failed and
    gunicorn answered a bare 500."""
    monkeypatch.setattr(Session, "rollback", _failing_rollback)
    client = down_app.test_client()
    resp = client.post("/api/v1/reports", json=report_payload())
    assert resp.status_code == 503 and resp.is_json
    resp = client.post("/report", data={"narrative": "kept"}, content_type="multipart/form-data")
    assert resp.status_code in (400, 503)  # refused (no CSRF token) or unavailable: a page either way
    assert "<html" in resp.get_data(as_text=True).lower() or "<!doctype" in resp.get_data(as_text=True).lower()


def test_unexpected_error_with_failing_rollback_is_a_page_not_a_bare_500(monkeypatch):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    monkeypatch.setattr(Session, "rollback", _failing_rollback)
    with app.app_context():
        resp = app.test_client().get("/boom")
        _db.engine.dispose()
    assert resp.status_code == 500
    assert "Something went wrong on our side" in resp.get_data(as_text=True)


def test_a_missing_table_is_a_bug_not_an_outage():
    """SQLite calls "no such table" an OperationalError: still a 500 (and a
    logged traceback), not a 503 that would hide the bug."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")  # no tables created
    with app.app_context():
        resp = app.test_client().post("/api/v1/followup", json={"receipt": "1234567812345678"})
        _db.engine.dispose()
    assert resp.status_code == 500 and resp.is_json


def test_a_connection_lost_inside_a_transaction_is_an_outage():
    """Seen through gunicorn during `pg_ctl restart -m immediate`: the
    session's connection died mid-transaction, SQLAlchemy then refuses to
    reconnect until a rollback. A 503 (the client retries), not a 500."""
    from tracker.core.db import database_unavailable

    lost = sa.exc.PendingRollbackError("Can't reconnect until invalid transaction is rolled back.  "
                                       "Please rollback() fully before proceeding")
    assert database_unavailable(lost)
    assert not database_unavailable(sa.exc.PendingRollbackError("This Session's transaction has been rolled back "
                                                                "due to a previous exception during flush."))
