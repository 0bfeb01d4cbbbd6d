"""Sign-in throttling that cannot be weaponised (issue 8 item 3).

A stranger flooding wrong passwords from many addresses must not keep an
officer out: the officer's right password and current code, from an address
never seen before, still open a session. Guessing is slowed per address
(growing delays) and per account (a guarded account answers a password only
together with a second factor), every failure is audited, and the owner and
the admins are told by mail (a real SMTP server, tests/fixtures/mail.py).
"""
import re
import time

import sqlalchemy as sa

from tests.fixtures.accounts import csrf_token, totp_code
from tracker.audit.models import AuditEvent
from tracker.extensions import db, limiter

WRONG = "not the password at all"


def at(app, address: str):
    """A browser at ``address`` (REMOTE_ADDR of each of its requests)."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def post_password(c, email, password):
    return c.post("/login", data={"csrf_token": csrf_token(c, "/login"), "email": email, "password": password})


def post_code(c, code):
    return c.post("/login/code", data={"csrf_token": csrf_token(c, "/login/code"), "code": code})


def failures_audited(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "auth.login_failed", AuditEvent.object_id == user.id)
    )


def guess(c, user, code="123456"):
    """One complete wrong attempt: a wrong password, and a made-up code when
    the code step is asked for (as a determined guesser would)."""
    resp = post_password(c, user.email, WRONG)
    if resp.status_code == 302 and resp.headers["Location"] == "/login/code":
        resp = post_code(c, code)
    return resp


def test_a_flood_from_many_addresses_does_not_keep_the_officer_out(app, make_user):
    user = make_user("supervisor")  # password and authenticator app
    strangers = [at(app, f"10.66.{i}.{i + 7}") for i in range(40)]
    for c in strangers:
        for _ in range(2):
            assert guess(c, user).status_code in (200, 429)
    db.session.refresh(user)
    assert user.failed_logins >= 40
    # The officer, from an address never seen, with password and code.
    officer = at(app, "198.51.100.23")
    resp = post_password(officer, user.email, user.test_password)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login/code"
    db.session.refresh(user)
    resp = post_code(officer, totp_code(user))
    assert resp.status_code == 302 and resp.headers["Location"] == "/cases"
    assert officer.get("/cases").status_code == 200
    # Every failure kept its audit event, naming no address.
    assert failures_audited(user) == 80
    dumped = repr([e.data for e in db.session.scalars(sa.select(AuditEvent))])
    assert "10.66." not in dumped and "198.51.100.23" not in dumped


def test_a_guarded_account_gives_no_answer_to_a_password_alone(app, make_user):
    user = make_user("officer", totp=True)
    for i in range(5):
        guess(at(app, f"10.1.0.{i + 1}"), user)
    wrong, right = at(app, "10.2.0.1"), at(app, "10.2.0.2")
    r_wrong = post_password(wrong, user.email, WRONG)
    r_right = post_password(right, user.email, user.test_password)
    # The same answer, whether the password was right or not.
    assert (r_wrong.status_code, r_wrong.headers["Location"]) == (r_right.status_code, r_right.headers["Location"])
    page_wrong = wrong.get("/login/code").get_data(as_text=True)
    page_right = right.get("/login/code").get_data(as_text=True)
    strip = re.compile(r'value="[^"]+"')
    assert strip.sub("", page_wrong) == strip.sub("", page_right)
    # A valid code does not rescue a wrong password.
    db.session.refresh(user)
    resp = post_code(wrong, totp_code(user))
    assert resp.status_code == 200 and "Sign-in failed" in resp.get_data(as_text=True)
    assert wrong.get("/cases").status_code == 302
    # Password and code together do.
    db.session.refresh(user)
    assert post_code(right, totp_code(user)).headers["Location"] == "/cases"


def test_an_address_waits_longer_after_each_failure(app, make_user):
    user = make_user("officer")
    guesser = at(app, "203.0.113.50")
    for _ in range(5):
        assert post_password(guesser, user.email, WRONG).status_code == 200
    # The fifth failure starts a wait: the next attempt is not looked at,
    # not even with the right password.
    resp = post_password(guesser, user.email, user.test_password)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"
    assert "Please wait" in resp.get_data(as_text=True)
    time.sleep(1.1)
    guess(guesser, user)
    resp = post_password(guesser, user.email, WRONG)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    # Another address is not affected.
    other = at(app, "203.0.113.51")
    db.session.refresh(user)
    assert post_password(other, user.email, user.test_password).status_code == 302


def test_the_counters_hold_no_address(app, make_user):
    user = make_user("officer")
    for _i in range(6):
        post_password(at(app, "192.0.2.77"), user.email, WRONG)
    keys = " ".join(str(k) for k in limiter.storage.storage)
    assert keys and "192.0.2.77" not in keys and "192.0.2" not in keys


def test_owner_and_admins_are_told_after_repeated_failures(app, make_user, smtp_server):
    admin = make_user("admin", language="fr")
    user = make_user("officer", totp=True, language="es")
    for i in range(9):
        guess(at(app, f"10.9.0.{i + 1}"), user)
    time.sleep(0.3)
    assert smtp_server.messages == []
    guess(at(app, "10.9.0.100"), user)
    messages = smtp_server.wait_for(2)
    by_to = {m["To"]: m for m in messages}
    assert set(by_to) == {user.email, admin.email}
    owner_text = by_to[user.email].get_body(("plain",)).get_content()
    admin_text = by_to[admin.email].get_body(("plain",)).get_content()
    assert "10" in owner_text and user.email in admin_text
    assert by_to[user.email]["Subject"] != "Failed sign-in attempts on your Tracker account"  # in Spanish
    assert by_to[admin.email]["Subject"] != "Failed sign-in attempts on a Tracker account"  # in French
    for text in (owner_text, admin_text):
        assert "10.9.0" not in text and WRONG not in text and user.test_password not in text
    # Not again at every failure.
    guess(at(app, "10.9.0.101"), user)
    time.sleep(0.3)
    assert len(smtp_server.messages) == 2


def test_a_guarded_account_without_an_app_gets_a_code_by_mail(app, make_user, smtp_server):
    user = make_user("officer")
    for i in range(5):
        guess(at(app, f"10.7.0.{i + 1}"), user, code="000000")
    time.sleep(0.2)
    sent = len(smtp_server.messages)
    # A wrong password sends nothing, but looks the same.
    wrong = at(app, "10.7.1.1")
    resp = post_password(wrong, user.email, WRONG)
    assert resp.headers["Location"] == "/login/code"
    time.sleep(0.3)
    assert len(smtp_server.messages) == sent
    officer = at(app, "198.51.100.80")
    resp = post_password(officer, user.email, user.test_password)
    assert resp.headers["Location"] == "/login/code"
    [mail] = smtp_server.wait_for(sent + 1)[sent:]
    assert mail["To"] == user.email
    code = re.search(r"\b(\d{6})\b", mail.get_body(("plain",)).get_content()).group(1)
    assert post_code(wrong, code).status_code == 200  # the code is no use without the password
    resp = post_code(officer, code)
    assert resp.status_code == 302 and resp.headers["Location"] == "/cases"
    assert officer.get("/cases").status_code == 200
