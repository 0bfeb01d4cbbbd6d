"""Regression (found by tests/api/test_schemathesis.py on PostgreSQL): a NUL
byte in a code or a case reference gave a 500, because PostgreSQL refuses
NUL in text parameters. Such a value matches nothing: 400 for a filter, 404
for a reference, a field error for a merge target."""
import pytest

from tracker.extensions import limiter


@pytest.fixture
def officer_headers(app, db, make_user):
    from tracker.accounts.services import issue_token

    officer = make_user("officer")
    _token, plain = issue_token(officer, "tests")
    db.session.commit()
    was = limiter.enabled
    limiter.enabled = False
    yield {"Authorization": f"Bearer {plain}"}
    limiter.enabled = was


@pytest.mark.parametrize("name", ["region", "force"])
def test_queue_filter_with_nul_is_unknown(client, officer_headers, name):
    resp = client.get("/api/v1/cases", query_string={name: "XV\x0001"}, headers=officer_headers)
    assert resp.status_code == 400
    assert name in resp.get_json()["errors"]


def test_case_ref_with_nul_is_not_found(client, officer_headers):
    assert client.get("/api/v1/cases/C%00X", headers=officer_headers).status_code == 404
    resp = client.post("/api/v1/cases/C%00X/transitions", json={"action": "triage"}, headers=officer_headers)
    assert resp.status_code == 404
    resp = client.post("/api/v1/cases/C%00X/messages", json={"body": "Hello"}, headers=officer_headers)
    assert resp.status_code == 404


def test_merge_target_with_nul_is_a_field_error(client, officer_headers, make_report):
    report, _receipt = make_report(categories=["killing"])
    url = f"/api/v1/cases/{report.case.ref}/transitions"
    resp = client.post(url, json={"action": "merge", "target": "C\x00X", "reason": "same event"},
                       headers=officer_headers)
    assert resp.status_code == 400
    assert "target" in resp.get_json()["errors"]


def test_staff_pages_with_nul_do_not_fail(app, client, login_as):
    login_as("officer")
    resp = client.get("/cases", query_string={"region": "XV\x0001"})
    assert resp.status_code == 400  # issue 8 item 6: a NUL byte in any query parameter is a 400
    assert client.get("/cases/C%00X").status_code == 404
