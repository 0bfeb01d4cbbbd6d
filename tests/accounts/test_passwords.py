"""argon2id staff passwords (DESIGN §8)."""
import pytest

from tracker.accounts import services
from tracker.accounts.passwords import hash_password, needs_rehash, verify_password


def test_hash_is_argon2id_and_verifies(app):
    h = hash_password("a long enough password")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "a long enough password")
    assert not verify_password(h, "a long enough passwore")
    assert not verify_password("not a hash", "a long enough password")
    assert not verify_password(None, "x")


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_passwords_shorter_than_12_characters_are_refused(app, password):
    with pytest.raises(services.AccountError) as exc:
        services.create_user("new@example.org", "officer", password, body="NOC")
    assert exc.value.field == "password"
    assert "12" in str(exc.value.message)


def test_twelve_characters_are_enough(app):
    user = services.create_user("new@example.org", "officer", "twelve-chars", body="NOC")
    assert verify_password(user.password_hash, "twelve-chars")


def test_hash_is_upgraded_at_sign_in_when_parameters_change(app, make_user):
    user = make_user("officer")
    old_hash = user.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    assert needs_rehash(old_hash)
    result = services.authenticate(user.email, user.test_password)
    assert result.ok
    assert user.password_hash != old_hash
    assert not needs_rehash(user.password_hash)
    assert "t=2" in user.password_hash


def test_user_can_change_their_password(client, login_as):
    from tests.fixtures.accounts import csrf_token

    user = login_as("officer")
    token = csrf_token(client, "/account")
    resp = client.post("/account", data={
        "pw-csrf_token": token, "pw-current_password": user.test_password,
        "pw-new_password": "a brand new passphrase", "pw-confirm": "a brand new passphrase", "pw-submit": "1",
    })
    assert resp.status_code == 302
    assert services.authenticate(user.email, "a brand new passphrase").ok
    assert not services.authenticate(user.email, user.test_password).ok
    assert client.get("/account").status_code == 200  # this session stays signed in


def test_change_password_needs_the_current_one(client, login_as):
    from tests.fixtures.accounts import csrf_token

    user = login_as("officer")
    token = csrf_token(client, "/account")
    resp = client.post("/account", data={
        "pw-csrf_token": token, "pw-current_password": "wrong wrong wrong",
        "pw-new_password": "a brand new passphrase", "pw-confirm": "a brand new passphrase", "pw-submit": "1",
    })
    assert resp.status_code == 200
    assert "The current password is not right." in resp.get_data(as_text=True)
    assert services.authenticate(user.email, user.test_password).ok


def test_change_password_shows_short_password_error_next_to_field(client, login_as):
    from tests.fixtures.accounts import csrf_token

    user = login_as("officer")
    token = csrf_token(client, "/account")
    resp = client.post("/account", data={
        "pw-csrf_token": token, "pw-current_password": user.test_password,
        "pw-new_password": "short", "pw-confirm": "short", "pw-submit": "1",
    })
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="pw-new_password-err"' in html and "at least 12 characters" in html
