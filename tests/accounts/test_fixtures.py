"""The shared fixtures other areas rely on: make_user and login_as."""
import pytest

from tests.fixtures.accounts import csrf_token


@pytest.mark.parametrize("role", ["partner", "officer", "supervisor", "commander", "admin"])
def test_login_as_every_role_gives_a_signed_in_session(client, login_as, role):
    user = login_as(role)
    resp = client.get("/account")
    assert resp.status_code == 200
    assert user.email in resp.get_data(as_text=True)


def test_make_user_of_another_body(make_user):
    a = make_user("officer")
    b = make_user("officer", body="OTHER")
    assert a.body.code == "NOC" and b.body.code == "OTHER"


def test_csrf_token_helper_reads_the_login_form(client):
    assert len(csrf_token(client, "/login")) > 20
