"""CSRF over HTTPS with ``Referrer-Policy: no-referrer`` (issue 8, item 1).

Browsers send no Referer under no-referrer; for their own form posts they
send ``Origin: null`` with ``Sec-Fetch-Site: same-origin`` (seen in Debian's
Chromium; Fetch standard). Forms must work then, and be refused when the
request comes from elsewhere — with the token check unchanged.
"""
import pytest
import sqlalchemy as sa
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.fixtures.accounts import DEFAULT_PASSWORD
from tests.intake.test_views import hidden, valid_form
from tracker.intake.models import Report

SITE = "https://tracker.example.org"


def post_report(client, data, headers, base_url=SITE):
    return client.post("/report", data=data, content_type="multipart/form-data", headers=headers,
                       base_url=base_url)


def https_form(client, base_url=SITE, headers=None):
    """A valid report form, with the token and key of a page fetched from ``base_url``."""
    page = client.get("/report", base_url=base_url, headers=headers).get_data(as_text=True)
    return valid_form(client, csrf_token=hidden(page, "csrf_token"),
                      idempotency_key=hidden(page, "idempotency_key"))


def login_token(client) -> str:
    return hidden(client.get("/login", base_url=SITE).get_data(as_text=True), "csrf_token")


def reports(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


@pytest.mark.parametrize("headers", [
    # Chromium under no-referrer: what every real form post looks like.
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    {"Origin": SITE},
    {"Origin": SITE + ":443", "Sec-Fetch-Site": "same-origin"},
    {"Origin": "HTTPS://Tracker.Example.org"},
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},  # started by the user (e.g. resent after a reload)
    {"Referer": SITE + "/report"},  # a browser with another referrer policy
    {},  # a program: the token alone decides
], ids=["chromium-no-referrer", "origin", "origin-default-port", "origin-case", "fetch-site-only",
        "fetch-site-none", "referer", "no-headers"])
def test_https_form_from_this_site_is_accepted(client, db, headers):
    resp = post_report(client, https_form(client), headers)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert resp.headers["Location"].endswith("/report/receipt")
    assert reports(db) == 1


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},  # no Fetch metadata (older browser)
    {"Origin": "http://tracker.example.org"},  # same host, other scheme
    {"Origin": "https://tracker.example.org:8443"},  # same host, other port
    {"Origin": "https://sub.tracker.example.org", "Sec-Fetch-Site": "same-site"},
    {"Origin": "null"},  # sandboxed frame / data: page, nobody vouches
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Origin": SITE, "Sec-Fetch-Site": "cross-site"},  # inconsistent: refuse
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Referer": "https://evil.example/page"},
    {"Origin": "not a url"},
], ids=["foreign", "foreign-no-fetch-metadata", "other-scheme", "other-port", "same-site-subdomain",
        "null-alone", "null-cross-site", "origin-but-cross-site", "cross-site", "same-site", "foreign-referer",
        "garbage"])
def test_form_from_elsewhere_is_refused_and_keeps_what_was_typed(client, db, headers):
    data = https_form(client)
    resp = post_report(client, data, headers)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Everything you typed is below" in page
    assert "They beat my neighbour in front of the school." in page and 'value="Fatima"' in page
    assert hidden(page, "idempotency_key") == data["idempotency_key"]
    assert reports(db) == 0


def test_token_is_still_required_with_a_good_origin(client, db):
    data = https_form(client)
    data.pop("csrf_token")
    resp = post_report(client, data, {"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 400 and reports(db) == 0
    data = https_form(client)
    data["csrf_token"] = "forged"
    resp = post_report(client, data, {"Origin": SITE, "Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 400 and reports(db) == 0


def test_resending_the_kept_form_files_it_once(client, db):
    data = https_form(client)
    refused = post_report(client, data, {"Origin": "null"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    data["csrf_token"] = hidden(page, "csrf_token")
    ok = post_report(client, data, {"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 302 and reports(db) == 1


def test_refusal_is_translated(client, db):
    client.get("/report?lang=es", base_url=SITE)
    data = https_form(client)
    resp = post_report(client, data, {"Origin": "https://evil.example"})
    assert resp.status_code == 400
    assert "Todo lo que escribió está abajo" in resp.get_data(as_text=True)


def test_other_forms_show_the_error_page(client, make_user):
    """Forms without a renderer (here sign-in) get the translated error page."""
    make_user("officer", email="o@example.org")
    token = login_token(client)
    resp = client.post("/login", data={"csrf_token": token, "email": "o@example.org", "password": "x"},
                       headers={"Origin": "https://evil.example"}, base_url=SITE)
    assert resp.status_code == 400
    assert "was not sent from this site" in resp.get_data(as_text=True)


def test_login_over_https_without_referer_works(client, make_user):
    make_user("officer", email="officer@example.org")
    token = login_token(client)
    resp = client.post("/login", data={"csrf_token": token, "email": "officer@example.org",
                                       "password": DEFAULT_PASSWORD},
                       headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}, base_url=SITE)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    assert "/login" not in resp.headers["Location"]


def test_origin_is_compared_with_the_scheme_seen_behind_the_proxy(app, db):
    """Behind a TLS proxy (TRACKER_PROXY_HOPS=1) the app is reached over HTTP
    with X-Forwarded-Proto: https; the browser's Origin is https://…"""
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    client = app.test_client()
    data = https_form(client, "http://tracker.example.org", proxied)
    resp = client.post("/report", data=data, content_type="multipart/form-data",
                       base_url="http://tracker.example.org",
                       headers={**proxied, "Origin": SITE, "Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 302 and reports(db) == 1
    # The proxy says plain HTTP: an https:// Origin is then another origin.
    data = https_form(client, "http://tracker.example.org", proxied)
    resp = client.post("/report", data=data, content_type="multipart/form-data",
                       base_url="http://tracker.example.org",
                       headers={"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.9", "Origin": SITE})
    assert resp.status_code == 400 and reports(db) == 1
