"""Sign-in, lockout, second factor, idle expiry and sign-out (DESIGN §8)."""
import re

import pyotp
import pytest
import sqlalchemy as sa

from tests.fixtures.accounts import csrf_token, totp_code
from tracker.accounts import services
from tracker.audit.models import AuditEvent
from tracker.extensions import db

FAILURE = "Sign-in failed"


def post_login(client, email, password, next_=None):
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"csrf_token": csrf_token(client, "/login"), "email": email, "password": password})


def post_code(client, code, url="/login/code"):
    return client.post(url, data={"csrf_token": csrf_token(client, url), "code": code})


def events(action):
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


@pytest.mark.parametrize(
    "role,landing",
    [("officer", "/cases"), ("supervisor", "/cases"), ("commander", "/trends"), ("admin", "/admin/"), ("partner", "/report")],
)
def test_each_role_lands_on_its_own_page(client, login_as, role, landing, make_user):
    user = make_user(role)
    resp = post_login(client, user.email, user.test_password)
    if user.totp_enabled:
        resp = post_code(client, totp_code(user))
    assert resp.status_code == 302
    assert resp.headers["Location"] == landing


def test_login_page_has_a_labelled_form(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'for="email"' in html and 'for="password"' in html and 'name="csrf_token"' in html


def test_wrong_password_and_unknown_email_give_the_same_message(client, make_user):
    user = make_user("officer")
    wrong = post_login(client, user.email, "not the password at all").get_data(as_text=True)
    unknown = post_login(client, "nobody@example.org", "not the password at all").get_data(as_text=True)
    assert FAILURE in wrong and FAILURE in unknown

    def message(html):
        return re.search(r'<p class="errors-summary error" role="alert">(.*?)</p>', html, re.S).group(1)

    assert message(wrong) == message(unknown)
    assert "nobody@example.org" in unknown  # the typed email is kept in the field
    assert not signed_in(client)


def test_the_form_keeps_the_email_and_explains_empty_fields(client):
    html = client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": "a@example.org",
                                       "password": ""}).get_data(as_text=True)
    assert "Enter your password." in html and 'value="a@example.org"' in html


def test_login_errors_are_translated(client, make_user):
    user = make_user("officer")
    client.get("/login?lang=es")
    html = post_login(client, user.email, "not the password at all").get_data(as_text=True)
    assert 'lang="es"' in html


def test_five_failures_guard_the_account_without_locking_it(app, client, make_user):
    """No lockout (issue 8 item 3): after five failures a password alone no
    longer answers; password and a code together still sign in."""
    user = make_user("officer", totp=True)
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        post_login(stranger, user.email, "wrong password here")
    db.session.refresh(user)
    assert services.is_guarded(user)
    resp = post_login(client, user.email, user.test_password)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login/code"
    db.session.refresh(user)
    assert post_code(client, totp_code(user)).status_code == 302
    assert signed_in(client)
    assert not events("auth.locked")


def test_guard_threshold_comes_from_config(app, make_user):
    app.config["LOGIN_GUARD_AFTER"] = 2
    user = make_user("officer")
    services.authenticate(user.email, "wrong password here")
    assert not services.is_guarded(user)
    services.authenticate(user.email, "wrong password here")
    assert services.is_guarded(user)


def test_a_success_resets_the_failure_count(app, make_user):
    user = make_user("officer")
    for _ in range(4):
        services.authenticate(user.email, "wrong password here")
    assert services.authenticate(user.email, user.test_password).ok
    assert user.failed_logins == 0
    for _ in range(4):
        services.authenticate(user.email, "wrong password here")
    assert not services.is_guarded(user)


def test_failed_and_successful_logins_are_audited_without_secrets(client, make_user):
    user = make_user("officer")
    post_login(client, user.email, "wrong password here")
    post_login(client, "ghost@example.org", "wrong password here")
    post_login(client, user.email, user.test_password)
    failed = events("auth.login_failed")
    assert [e.object_id for e in failed] == [user.id, None]
    assert failed[0].data == {"reason": "password"}
    assert failed[1].data["reason"] == "unknown_account"
    assert set(failed[1].data) == {"reason", "email_hash"}
    ok = events("auth.login")
    assert len(ok) == 1 and ok[0].actor_user_id == user.id and ok[0].body_id == user.body_id
    dumped = repr([(e.data, e.action) for e in db.session.scalars(sa.select(AuditEvent))])
    for secret in ("wrong password here", user.test_password, "ghost@example.org", "127.0.0.1"):
        assert secret not in dumped


def test_session_is_regenerated_at_login_and_language_kept(client, login_as):
    client.get("/login?lang=fr")
    with client.session_transaction() as s:
        s["leftover"] = "from before"
    login_as("officer")
    with client.session_transaction() as s:
        assert "leftover" not in s
        assert s["lang"] == "fr"
        assert s.permanent


def test_next_parameter_is_followed_only_within_the_site(client, make_user):
    user = make_user("officer")
    resp = post_login(client, user.email, user.test_password, next_="/account")
    assert resp.headers["Location"] == "/account"
    client2 = client.application.test_client()
    resp = post_login(client2, user.email, user.test_password, next_="//evil.example/")
    assert resp.headers["Location"] == "/cases"


def test_signed_in_user_visiting_login_is_sent_home(client, login_as):
    login_as("commander")
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/trends"


def test_disabled_account_cannot_sign_in(client, make_user):
    user = make_user("officer", active=False)
    resp = post_login(client, user.email, user.test_password)
    assert resp.status_code == 200 and FAILURE in resp.get_data(as_text=True)


# --------------------------------------------------------------------------- TOTP


def test_supervisor_needs_a_code_after_the_password(client, make_user):
    user = make_user("supervisor")
    resp = post_login(client, user.email, user.test_password)
    assert resp.headers["Location"] == "/login/code"
    assert not signed_in(client)  # the password alone opens nothing
    resp = post_code(client, "000000" if totp_code(user) != "000000" else "111111")
    assert FAILURE in resp.get_data(as_text=True)
    assert not signed_in(client)
    resp = post_code(client, totp_code(user))
    assert resp.status_code == 302 and resp.headers["Location"] == "/cases"
    assert signed_in(client)


def test_a_totp_code_works_only_once(client, app, make_user):
    user = make_user("admin")
    code = totp_code(user)
    post_login(client, user.email, user.test_password)
    assert post_code(client, code).status_code == 302
    other = app.test_client()
    post_login(other, user.email, user.test_password)
    resp = post_code(other, code)
    assert resp.status_code == 200 and FAILURE in resp.get_data(as_text=True)
    assert not signed_in(other)


def test_wrong_codes_after_the_right_password_pause_the_code_step(app, make_user):
    """Only someone who knows the password can cause code failures: those
    slow down with growing delays (the code step pauses)."""
    user = make_user("supervisor")
    for _ in range(5):
        assert services.authenticate(user.email, user.test_password, "000001").status == "invalid"
    assert services.authenticate(user.email, user.test_password, totp_code(user)).status == "paused"


def test_code_step_without_password_step_goes_back_to_login(client):
    resp = client.get("/login/code")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"


def test_code_step_expires_after_five_minutes(client, make_user, monkeypatch):
    user = make_user("supervisor")
    post_login(client, user.email, user.test_password)
    real = services.now_ts()
    monkeypatch.setattr(services, "now_ts", lambda: real + 301)
    resp = client.get("/login/code")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_roles_requiring_totp_must_enrol_before_reaching_any_staff_page(client, make_user, role):
    user = make_user(role, totp=False)
    resp = post_login(client, user.email, user.test_password)
    assert resp.headers["Location"] == "/account/two-step"
    assert not signed_in(client)
    assert client.get("/admin/users").status_code == 302  # back to sign-in, not the page
    page = client.get("/account/two-step")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    resp = post_code(client, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321", "/account/two-step")
    assert resp.status_code == 200 and not signed_in(client)
    resp = post_code(client, pyotp.TOTP(secret).now(), "/account/two-step")
    assert resp.status_code == 302 and signed_in(client)
    db.session.refresh(user)
    assert user.totp_enabled and services.totp_secret(user) == secret
    assert user.totp_secret_enc is not None and secret.encode() not in user.totp_secret_enc
    assert len(events("user.totp_enrolled")) == 1


def test_enrolment_page_shows_the_same_secret_on_reload(client, make_user):
    user = make_user("admin", totp=False)
    post_login(client, user.email, user.test_password)
    first = re.search(r'id="totp-secret">(\w+)<', client.get("/account/two-step").get_data(as_text=True)).group(1)
    second = re.search(r'id="totp-secret">(\w+)<', client.get("/account/two-step").get_data(as_text=True)).group(1)
    assert first == second


def test_qr_code_is_inline_svg_without_style_or_script(client, make_user):
    user = make_user("admin", totp=False)
    post_login(client, user.email, user.test_password)
    html = client.get("/account/two-step").get_data(as_text=True)
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "style=" not in svg and "<script" not in svg


def test_officer_may_turn_on_totp_from_the_account_page(client, login_as):
    user = login_as("officer")
    assert "Set up two-step sign-in" in client.get("/account").get_data(as_text=True)
    html = client.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">(\w+)<', html).group(1)
    resp = post_code(client, pyotp.TOTP(secret).now(), "/account/two-step")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account"
    db.session.refresh(user)
    assert user.totp_enabled
    # From now on the officer needs the code too.
    other = client.application.test_client()
    assert post_login(other, user.email, user.test_password).headers["Location"] == "/login/code"


def test_enrol_page_needs_a_sign_in(client):
    resp = client.get("/account/two-step")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


# --------------------------------------------------------------------------- sessions


def test_idle_session_expires_after_30_minutes(client, login_as, monkeypatch):
    login_as("officer")
    real = services.now_ts()
    monkeypatch.setattr(services, "now_ts", lambda: real + 29 * 60)
    assert signed_in(client)  # activity refreshes the session…
    monkeypatch.setattr(services, "now_ts", lambda: real + 29 * 60 + 29 * 60)
    assert signed_in(client)  # …so 29 minutes after the last request is fine
    monkeypatch.setattr(services, "now_ts", lambda: real + 29 * 60 + 29 * 60 + 31 * 60)
    resp = client.get("/account")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert "inactivity" in client.get("/login").get_data(as_text=True)


def test_session_cookie_is_httponly_samesite_and_expires(client, login_as):
    login_as("officer")
    resp = client.get("/account")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_session_does_not_hold_the_ip_address(client, login_as):
    login_as("officer")
    with client.session_transaction() as s:
        assert "127.0.0.1" not in repr(dict(s))


def test_logout_needs_a_post_with_csrf(client, login_as):
    user = login_as("officer")
    page = client.get("/logout")
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    assert signed_in(client)  # GET alone does not sign out
    assert client.post("/logout", data={}).status_code == 400
    assert signed_in(client)
    resp = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    assert resp.status_code == 302
    assert not signed_in(client)
    assert [e.actor_user_id for e in events("auth.logout")] == [user.id]


def test_a_password_change_elsewhere_ends_this_session(client, login_as):
    user = login_as("officer")
    services.set_password(user, "another long password", actor=None)
    db.session.commit()
    assert not signed_in(client)


def test_login_is_rate_limited(app, client, make_user):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    user = make_user("officer")
    codes = [post_login(client, user.email, "wrong password here").status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429


def test_session_cookie_replayed_from_another_browser_is_signed_out(app, client, login_as):
    login_as("officer")
    assert signed_in(client)
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    resp = thief.get("/account", headers={"User-Agent": "SomethingElse/1.0"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert signed_in(client)  # the real browser keeps its session


def test_anonymous_visitors_get_no_session_writes_from_sign_in_machinery(client):
    client.get("/?lang=es")  # a language choice is the only thing remembered
    resp = client.get("/")
    assert "Set-Cookie" not in resp.headers
    assert client.get_cookie("remember_token") is None


def test_a_supervisor_session_never_outlives_the_second_factor(client, login_as):
    user = login_as("supervisor")
    assert client.get("/cases").status_code == 200
    user.totp_enabled = False  # e.g. an inconsistent edit straight in the database
    db.session.commit()
    resp = client.get("/cases")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/two-step"
