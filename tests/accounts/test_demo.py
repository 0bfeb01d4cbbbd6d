"""Demo logins: one per role, each of which can actually sign in."""
import pyotp

from tests.fixtures.accounts import csrf_token
from tracker.accounts.demo import create_demo_users
from tracker.accounts.models import User
from tracker.extensions import db


def _sign_in(client, login):
    resp = client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                       "email": login["email"], "password": login["password"]})
    if login["totp_secret"]:
        assert resp.headers["Location"].endswith("/login/code")
        code = pyotp.TOTP(login["totp_secret"]).now()
        resp = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"), "code": code})
    return resp


def test_one_demo_user_per_role_and_each_can_sign_in(app):
    logins = create_demo_users()
    db.session.commit()
    assert sorted(x["role"] for x in logins) == ["admin", "commander", "officer", "partner", "supervisor"]
    by_role = {x["role"]: x for x in logins}
    assert by_role["supervisor"]["otpauth_uri"].startswith("otpauth://totp/")
    assert by_role["admin"]["totp_secret"] and by_role["officer"]["totp_secret"] is None
    assert db.session.get(User, 1) is not None
    commander = db.session.scalar(db.select(User).filter_by(email=by_role["commander"]["email"]))
    assert commander.force.code == "ARMY"
    partner = db.session.scalar(db.select(User).filter_by(email=by_role["partner"]["email"]))
    assert partner.organisation.name == "Community Rights Network"
    for login in logins:
        client = app.test_client()
        resp = _sign_in(client, login)
        assert resp.status_code == 302 and "/login" not in resp.headers["Location"], login["role"]


def test_running_the_demo_again_resets_logins(app):
    first = {x["role"]: x for x in create_demo_users()}
    db.session.commit()
    second = {x["role"]: x for x in create_demo_users()}
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 5
    assert first["officer"]["password"] != second["officer"]["password"]
    client = app.test_client()
    assert _sign_in(client, second["officer"]).status_code == 302
    client2 = app.test_client()
    resp = client2.post("/login", data={"csrf_token": csrf_token(client2, "/login"),
                                        "email": first["officer"]["email"], "password": first["officer"]["password"]})
    assert resp.status_code == 200  # the old password no longer works
