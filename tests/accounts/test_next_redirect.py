"""``next`` after sign-in leads only to a path on this site (issue 8 item 6).

Browsers strip tabs and newlines from a URL and read a backslash as a
slash, so ``/\\t/evil.example`` becomes ``//evil.example``: another site.
The values below are sent as a browser would put them in the query string
(percent-encoded where that is how an attacker would write them)."""
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.fixtures.accounts import csrf_token

HOSTILE = [
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D%0A/evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "//evil.example",
    "///evil.example",
    "%2F%2Fevil.example",
    "/%2Fevil.example",
    "\\\\evil.example",
    "%5C%5Cevil.example",
    "/%5Cevil.example",
    "/\\evil.example",
    "https://evil.example",
    "https:evil.example",
    "HTTPS://evil.example/cases",
    "%68ttps://evil.example",
    "javascript:alert(1)",
    "//evil.example/%2F..",
    "/%E2%80%8B/evil.example",
    "evil.example",
    "@evil.example",
]


def _login(client, user, next_raw):
    url = f"/login?next={next_raw}"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "email": user.email,
                                  "password": user.test_password})


@pytest.mark.parametrize("next_raw", HOSTILE)
def test_next_never_leaves_the_site(client, make_user, next_raw):
    user = make_user("officer")
    resp = _login(client, user, next_raw)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    # Resolved as a browser would, after stripping tabs and newlines and
    # reading backslashes as slashes (WHATWG URL parsing).
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r").replace("\\", "/")
    resolved = urlsplit(urljoin("https://tracker.example/login", cleaned))
    assert resolved.scheme == "https" and resolved.netloc == "tracker.example", location
    assert location == "/cases"  # the role's landing page, not the hostile target


@pytest.mark.parametrize("target", ["/cases?state=all&severity=critical", "/account", "/cases/audit?before=10"])
def test_next_within_the_site_is_followed(client, make_user, target):
    user = make_user("officer")
    resp = _login(client, user, quote(target, safe=""))
    assert resp.status_code == 302 and resp.headers["Location"] == target


def test_next_survives_the_code_step_and_stays_on_the_site(client, make_user):
    from tests.fixtures.accounts import totp_code
    from tracker.extensions import db

    user = make_user("supervisor")
    _login(client, user, "/%09/evil.example")
    db.session.refresh(user)
    resp = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"), "code": totp_code(user)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/cases"
