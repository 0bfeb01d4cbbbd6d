"""Staff API tokens: issued once, stored hashed, revocable; bearer auth."""
import re

import pytest
import sqlalchemy as sa
from flask import jsonify
from flask_login import current_user

from tests.fixtures.accounts import csrf_token
from tracker.accounts import services
from tracker.accounts.models import ApiToken
from tracker.accounts.permissions import token_or_login_required
from tracker.audit.models import AuditEvent
from tracker.extensions import db


@pytest.fixture
def probe(app):
    """A staff API endpoint guarded like H5's (registered on this app only)."""

    @token_or_login_required("officer", "supervisor")
    def token_probe():
        return jsonify({"email": current_user.email, "role": current_user.role})

    app.add_url_rule("/api/v1/_probe", "token_probe", token_probe, methods=["GET", "POST"])
    return "/api/v1/_probe"


def issue_via_page(client, name="laptop script"):
    token = csrf_token(client, "/account")
    resp = client.post("/account", data={"tok-csrf_token": token, "tok-name": name, "tok-submit": "1"})
    assert resp.status_code == 200
    m = re.search(r'id="new-token">([^<]+)<', resp.get_data(as_text=True))
    assert m, "the new token is shown once"
    return m.group(1)


def test_token_is_shown_once_and_stored_only_as_a_hash(client, login_as):
    user = login_as("officer")
    plain = issue_via_page(client)
    assert plain.startswith("trk_") and len(plain) > 40
    row = db.session.scalar(sa.select(ApiToken).filter_by(user_id=user.id))
    assert row.token_hash != plain and plain not in repr(row.__dict__)
    page = client.get("/account").get_data(as_text=True)
    assert plain not in page and row.prefix in page and "laptop script" in page
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("token.%")))] == ["token.issued"]


def test_bearer_token_authenticates_api_calls_without_a_session(app, probe, make_user):
    user = make_user("officer")
    _tok, plain = services.issue_token(user, "script")
    db.session.commit()
    c = app.test_client()
    resp = c.get(probe, headers={"Authorization": f"Bearer {plain}"})
    assert resp.status_code == 200 and resp.get_json() == {"email": user.email, "role": "officer"}
    # A POST with a token needs no CSRF token: programs have no cookie.
    assert c.post(probe, headers={"Authorization": f"Bearer {plain}"}, json={}).status_code == 200
    assert "Set-Cookie" not in resp.headers or "session=" not in resp.headers["Set-Cookie"]
    assert c.get("/account").status_code == 302  # the token did not open an HTML session


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer trk_not-a-real-token", "Basic abc", "Bearer " + "x" * 300])
def test_missing_or_bad_tokens_get_401_json(app, probe, header):
    c = app.test_client()
    resp = c.get(probe, headers={"Authorization": header} if header else {})
    assert resp.status_code == 401
    assert "error" in resp.get_json()
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_stops_working(client, app, probe, login_as):
    user = login_as("supervisor")
    plain = issue_via_page(client)
    other = app.test_client()
    assert other.get(probe, headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    token = db.session.scalar(sa.select(ApiToken).filter_by(user_id=user.id))
    resp = client.post(f"/account/tokens/{token.id}/revoke", data={"rev-csrf_token": csrf_token(client, "/account")})
    assert resp.status_code == 302
    assert other.get(probe, headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert "Revoked" in client.get("/account").get_data(as_text=True)


def test_nobody_revokes_another_users_token(client, login_as, make_user):
    owner = make_user("officer")
    tok, _plain = services.issue_token(owner, "theirs")
    db.session.commit()
    login_as("officer")
    resp = client.post(f"/account/tokens/{tok.id}/revoke", data={"rev-csrf_token": csrf_token(client, "/account")})
    assert resp.status_code == 404
    db.session.refresh(tok)
    assert tok.revoked_at is None


def test_token_of_a_disabled_user_is_refused(app, probe, make_user):
    user = make_user("officer")
    _tok, plain = services.issue_token(user, "script")
    services.set_active(user, False, actor=None)
    db.session.commit()
    assert app.test_client().get(probe, headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_token_carries_the_role_check(app, probe, make_user):
    user = make_user("commander")
    _tok, plain = services.issue_token(user, "script")
    db.session.commit()
    assert app.test_client().get(probe, headers={"Authorization": f"Bearer {plain}"}).status_code == 403


def test_a_role_change_revokes_the_token(app, probe, make_user):
    user = make_user("officer")
    _tok, plain = services.issue_token(user, "script")
    services.update_user(user, actor=None, role="commander", force="ARMY")
    db.session.commit()
    assert app.test_client().get(probe, headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_session_callers_need_csrf_for_unsafe_methods(client, probe, login_as):
    login_as("officer")
    assert client.get(probe).status_code == 200
    assert client.post(probe, json={}).status_code == 400
    assert client.post(probe, json={}, headers={"X-CSRFToken": csrf_token(client, "/account")}).status_code == 200


def test_commanders_partners_and_admins_get_no_token_form(client, login_as):
    for role in ("commander",):
        login_as(role)
        assert "Access tokens" not in client.get("/account").get_data(as_text=True)
        resp = client.post("/account", data={"tok-csrf_token": csrf_token(client, "/account"), "tok-name": "x", "tok-submit": "1"})
        assert "new-token" not in resp.get_data(as_text=True)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_token_needs_a_name(client, login_as):
    login_as("officer")
    resp = client.post("/account", data={"tok-csrf_token": csrf_token(client, "/account"), "tok-name": " ", "tok-submit": "1"})
    assert "Give the token a name" in resp.get_data(as_text=True)
