"""Staff API: bearer token, same filters and services as the HTML pages."""
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.cases.models import Case


def _token(db, user):
    from tracker.accounts.services import issue_token

    _tok, plain = issue_token(user, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_list_filter_and_page_with_token(app, db, client, make_user, case_for_report):
    officer = make_user("officer")
    h = _token(db, officer)
    a = case_for_report(categories=["killing"])
    b = case_for_report(categories=["threats"], harm={"injured": 0, "property_damaged": False})
    resp = client.get("/api/v1/cases?limit=1", headers=h)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert [c["ref"] for c in body["cases"]] == [a.ref] and body["cases"][0]["severity"] == "critical"
    body2 = client.get(f"/api/v1/cases?limit=1&cursor={body['next_cursor']}", headers=h).get_json()
    assert [c["ref"] for c in body2["cases"]] == [b.ref] and body2["next_cursor"] is None
    assert [c["ref"] for c in client.get("/api/v1/cases?category=threats", headers=h).get_json()["cases"]] == [b.ref]
    bad = client.get("/api/v1/cases?severity=huge&cursor=zz", headers=h)
    assert bad.status_code == 400 and "severity" in bad.get_json()["errors"]


def test_case_detail_has_reports_but_no_contact(app, db, client, make_user, case_for_report):
    officer = make_user("officer")
    h = _token(db, officer)
    case = case_for_report(narrative="Boats seized at the pier")
    body = client.get(f"/api/v1/cases/{case.ref}", headers=h).get_json()
    assert body["reports"][0]["narrative"] == "Boats seized at the pier"
    assert body["reports"][0]["has_contact"] is True
    assert "Amina" not in str(body)
    assert "triage" in body["allowed_actions"]


def test_transitions_and_messages(app, db, client, make_user, case_for_report):
    officer = make_user("officer")
    h = _token(db, officer)
    case = case_for_report(categories=["assault"], victims={"children": False})
    url = f"/api/v1/cases/{case.ref}/transitions"
    assert client.post(url, json={"action": "triage"}, headers=h).get_json()["state"] == "triaged"
    resp = client.post(url, json={"action": "reject"}, headers=h)
    assert resp.status_code == 400 and "reason" in resp.get_json()["errors"]
    resp = client.post(url, json={"action": "escalate", "reason": "x"}, headers=h)
    assert resp.status_code == 403
    resp = client.post(url, json={"action": "close"}, headers=h)
    assert resp.status_code == 409 and resp.get_json()["error"]
    client.post(url, json={"action": "investigate"}, headers=h)
    resp = client.post(url, json={"action": "resolve", "outcome": "substantiated"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "substantiated"
    resp = client.post(f"/api/v1/cases/{case.ref}/messages", json={"body": "Thank you, we acted."}, headers=h)
    assert resp.status_code == 201
    resp = client.post(f"/api/v1/cases/{case.ref}/messages", json={"body": ""}, headers=h)
    assert resp.status_code == 400 and "body" in resp.get_json()["errors"]
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_id == case.id, AuditEvent.object_type == "case")
    ).all()
    assert events.count("case.message") == 1 and "case.resolve" in events


def test_other_body_and_wrong_roles_refused(app, db, client, make_user, case_for_report):
    case = case_for_report()
    outsider = _token(db, make_user("officer", body="OTHER"))
    assert client.get(f"/api/v1/cases/{case.ref}", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/cases/{case.ref}/transitions", json={"action": "triage"}, headers=outsider).status_code == 404
    assert client.get("/api/v1/cases", headers=outsider).get_json()["cases"] == []
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"}).status_code == 401
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "new"


def test_openapi_describes_staff_paths(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/cases", "/cases/{ref}", "/cases/{ref}/transitions", "/cases/{ref}/messages"):
        assert path in doc["paths"]
    assert doc["paths"]["/cases/{ref}/transitions"]["post"]["security"] == [{"bearerAuth": []}]


def test_a_token_s_last_use_is_kept_after_a_read_only_call(app, db, client, make_user, case_for_report):
    """The admin sees when each token was last used: a GET (whose view
    commits nothing) still records it, with the request's one commit."""
    from tracker.accounts.models import ApiToken

    officer = make_user("officer")
    h = _token(db, officer)
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is None
    assert client.get("/api/v1/cases", headers=h).status_code == 200
    db.session.rollback()  # read what the request committed, not this session's copy
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None
