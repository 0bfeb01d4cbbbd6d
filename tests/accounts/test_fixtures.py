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


@pytest.mark.parametrize(
    "role,present,absent",
    [
        ("officer", ["/cases"], ["/admin/", "/trends", "/cases/audit"]),
        ("supervisor", ["/cases", "/trends", "/cases/audit", "/admin/users"], ["/admin/\""]),
        ("commander", ["/trends"], ["/cases", "/admin/"]),
        ("admin", ["/admin/", "/admin/users"], ["/cases", "/trends"]),
        ("partner", ["/report"], ["/cases", "/admin/", "/trends"]),
    ],
)
def test_staff_navigation_links_only_to_what_the_role_may_open(client, login_as, role, present, absent):
    login_as(role)
    html = client.get("/account").get_data(as_text=True)
    nav = html[html.index('<nav class="nav"'):html.index("</nav>")]
    for href in present:
        assert f'href="{href}' in nav, href
    for href in absent:
        assert f'href="{href}' not in nav, href
    assert 'href="/logout"' in nav and 'href="/account"' in nav
