"""Sessions that end (issue 8 item 2, DESIGN §8c): sign-out, password change,
role change, second-factor reset and deactivation end every session of the
user on the server side and revoke their API tokens; the session cookies,
which are signed but readable, carry no readable user or report id."""
import base64
import importlib.metadata
import json
import zlib

import flask_login
import pytest

from tests.fixtures.accounts import csrf_token
from tracker.accounts import services
from tracker.extensions import db

CASES = "/cases"


def read_session_cookie(client) -> dict:
    """What anyone holding the cookie can read without the secret key:
    Flask's cookie is ``[.]base64(payload).timestamp.signature``."""
    value = client.get_cookie("session").value
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if compressed:
        raw = zlib.decompress(raw)
    return json.loads(raw)


def walk(value):
    """Every key and leaf value of a decoded cookie."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)
    else:
        yield value


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie (same
    User-Agent: the test client's)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def opens_cases(c) -> bool:
    return c.get(CASES).status_code == 200


def test_a_cookie_copied_before_sign_out_no_longer_opens_cases(app, client, login_as):
    login_as("officer")
    thief = copy_of(app, client)
    assert opens_cases(thief)  # the copy works while the session lives
    resp = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert resp.status_code == 302
    assert not opens_cases(thief)
    assert not opens_cases(client)


def test_sign_out_ends_the_users_other_sessions_too(app, client, login_as):
    user = login_as("officer")
    phone = app.test_client()
    login_as(user, phone)
    assert opens_cases(phone)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert not opens_cases(phone)


def _issue(user):
    _token, plain = services.issue_token(user, "script")
    db.session.commit()
    return plain


def _api(app, plain):
    return app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {plain}"}).status_code


def _reset_totp(user, admin):
    services.reset_totp(user, actor=admin)


def _password(user, admin):
    services.set_password(user, "a brand new long password", actor=admin)


def _role(user, admin):
    services.update_user(user, actor=admin, role="officer", body=user.body)


def _disable(user, admin):
    services.set_active(user, False, actor=admin)


@pytest.mark.parametrize("change", [_reset_totp, _password, _role, _disable], ids=["totp-reset", "password", "role", "disable"])
def test_credential_changes_end_sessions_and_revoke_tokens(app, client, login_as, make_user, change):
    user = login_as("supervisor")
    admin = make_user("admin")
    plain = _issue(user)
    assert _api(app, plain) == 200
    assert opens_cases(client)
    change(user, admin)
    db.session.commit()
    assert _api(app, plain) == 401
    assert not opens_cases(client)


def test_a_token_issued_before_a_totp_reset_answers_401_through_the_admin_page(app, client, login_as, make_user):
    supervisor = make_user("supervisor")
    plain = _issue(supervisor)
    assert _api(app, plain) == 200
    login_as("admin")
    resp = client.post(f"/admin/users/{supervisor.id}/reset-totp",
                       data={"csrf_token": csrf_token(client, f"/admin/users/{supervisor.id}")})
    assert resp.status_code == 302
    assert _api(app, plain) == 401


def test_sign_out_revokes_the_users_api_tokens(app, client, login_as):
    user = login_as("officer")
    plain = _issue(user)
    assert _api(app, plain) == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert _api(app, plain) == 401


def test_own_password_change_keeps_this_session_and_ends_the_others(app, client, login_as):
    user = login_as("officer")
    other = app.test_client()
    login_as(user, other)
    plain = _issue(user)
    token = csrf_token(client, "/account")
    resp = client.post("/account", data={
        "pw-csrf_token": token, "pw-current_password": user.test_password,
        "pw-new_password": "another quite long password", "pw-confirm": "another quite long password", "pw-submit": "1",
    })
    assert resp.status_code == 302
    assert opens_cases(client)
    assert not opens_cases(other)
    assert _api(app, plain) == 401


def test_the_staff_cookie_shows_no_readable_user_id(app, client, login_as, make_user):
    for _ in range(3):
        make_user("partner")  # so that the officer's id is not 1
    user = login_as("officer")
    data = read_session_cookie(client)
    leaves = [str(v) for v in walk(data)]
    assert opens_cases(client)
    for leaf in leaves:
        assert leaf != str(user.id)
        assert not leaf.startswith(f"{user.id}:")
        assert user.email not in leaf
    # Flask-Login's id is an opaque value, not the row id or a readable pair.
    assert len(str(data.get("_user_id", ""))) >= 40
    # Nor does the cookie carry Flask-Login's unsalted hash of the address.
    ua = f"Werkzeug/{importlib.metadata.version('werkzeug')}"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": ua}):
        address_hash = flask_login.utils._create_identifier()
    assert address_hash not in leaves


def test_the_reporters_followup_cookie_holds_no_report_id(client, make_report):
    for _ in range(4):
        make_report()
    report, receipt = make_report()
    token = csrf_token(client, "/followup")
    resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt})
    assert resp.status_code == 302
    assert client.get("/followup").status_code == 200  # the lookup is remembered for the page
    data = read_session_cookie(client)
    keys_and_values = list(walk(data))
    assert "id" not in keys_and_values
    assert report.id not in keys_and_values and str(report.id) not in keys_and_values
    assert report.case.ref not in json.dumps(data)


def test_a_pending_sign_in_shows_no_user_id(client, make_user):
    for _ in range(3):
        make_user("partner")
    user = make_user("supervisor")
    client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": user.email,
                                "password": user.test_password})
    data = read_session_cookie(client)
    leaves = list(walk(data))
    assert "uid" not in leaves and user.id not in leaves and str(user.id) not in leaves
