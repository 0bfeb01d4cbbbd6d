"""The queue and case pages as an officer uses them."""
import re

import sqlalchemy as sa

from tests.fixtures.accounts import csrf_token
from tracker.audit.models import AuditEvent
from tracker.cases.models import Case


def test_officer_works_a_case_from_the_queue(app, db, client, login_as, case_for_report):
    case = case_for_report(narrative="Soldiers took the fishing boats", categories=["property_destruction"])
    officer = login_as("officer")
    page = client.get("/cases")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert case.ref in html
    assert page.headers["Cache-Control"] == "no-store"

    html = client.get(f"/cases/{case.ref}").get_data(as_text=True)
    assert "Soldiers took the fishing boats" in html
    assert "Amina" not in html  # contact hidden until revealed
    token = csrf_token(client, f"/cases/{case.ref}")
    resp = client.post(f"/cases/{case.ref}/transition", data={"csrf_token": token, "action": "triage"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "triaged"

    # Resolve is not offered yet; forcing it shows a translated error, nothing changes.
    resp = client.post(f"/cases/{case.ref}/transition", data={"csrf_token": token, "action": "resolve"})
    assert resp.status_code == 400
    assert "cannot be moved" in resp.get_data(as_text=True)

    # Reject without a reason: error next to the field, typed values kept.
    resp = client.post(
        f"/cases/{case.ref}/transition", data={"csrf_token": token, "action": "reject", "reason": "  "}
    )
    assert resp.status_code == 400
    assert "Please give a reason." in resp.get_data(as_text=True)

    # Reveal needs a reason and is audited.
    resp = client.post(f"/cases/{case.ref}/reveal", data={"csrf_token": token, "reason": ""})
    assert resp.status_code == 400 and "Amina" not in resp.get_data(as_text=True)
    resp = client.post(f"/cases/{case.ref}/reveal", data={"csrf_token": token, "reason": "Need to call about the boats"})
    assert resp.status_code == 200 and "Amina" in resp.get_data(as_text=True)
    ev = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.reveal_contact"))
    assert ev.actor_user_id == officer.id and "Amina" not in str(ev.data)


def test_other_body_officer_and_commander_are_refused(app, client, login_as, case_for_report, make_user):
    case = case_for_report()
    login_as("officer", body="OTHER")
    assert client.get(f"/cases/{case.ref}").status_code == 404
    assert case.ref not in client.get("/cases").get_data(as_text=True)
    token = csrf_token(client, "/account")
    assert client.post(f"/cases/{case.ref}/transition", data={"csrf_token": token, "action": "triage"}).status_code == 404
    client.get("/logout")

    for role in ("commander", "admin"):
        c = app.test_client()
        login_as(role, c)
        assert c.get(f"/cases/{case.ref}").status_code == 403
        assert c.get("/cases").status_code == 403


def test_photo_is_served_decrypted_and_not_cached(app, client, login_as, case_for_report, jpeg_bytes):
    from tracker.intake.photos import UploadedPhoto

    case = case_for_report(photos=[UploadedPhoto(filename="a.jpg", data=jpeg_bytes())])
    login_as("officer")
    html = client.get(f"/cases/{case.ref}").get_data(as_text=True)
    [url] = sorted(set(re.findall(r'src="(/cases/[^"]+/photos/\d+)"', html)))
    resp = client.get(url)
    assert resp.status_code == 200 and resp.data[:2] == b"\xff\xd8"
    assert resp.headers["Cache-Control"] == "no-store"


def test_partner_sees_only_status_of_their_organisations_cases(app, db, client, make_user, login_as, case_for_report):
    partner = make_user("partner")
    filed = case_for_report(filed_by=partner, narrative="Filed by the network")
    other = case_for_report(narrative="Someone else's report")
    login_as(partner)
    resp = client.get(f"/cases/{filed.ref}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert filed.ref in html and "Filed by the network" not in html and "Amina" not in html
    assert client.get(f"/cases/{other.ref}").status_code == 404
    assert client.get("/cases").status_code == 403
    assert client.get(f"/api/v1/cases/{filed.ref}").status_code == 403


def test_opening_a_case_clears_news_from_the_reporter(app, db, client, login_as, case_for_report):
    from tracker.intake.services import add_reporter_message

    case = case_for_report()
    add_reporter_message(case.reports[0], "I remembered the truck number")
    db.session.commit()
    login_as("officer")
    assert "News" in client.get("/cases?news=1").get_data(as_text=True)
    html = client.get(f"/cases/{case.ref}").get_data(as_text=True)
    assert "New information from the reporter" in html and "I remembered the truck number" in html
    db.session.expire_all()
    assert db.session.get(Case, case.id).has_news is False


def test_merge_from_the_case_page_lands_on_the_survivor(app, db, client, login_as, case_for_report):
    a = case_for_report(narrative="first account")
    b = case_for_report(narrative="second account")
    login_as("officer")
    token = csrf_token(client, f"/cases/{a.ref}")
    resp = client.post(f"/cases/{a.ref}/transition", data={"csrf_token": token, "action": "merge", "target": "nope"})
    assert resp.status_code == 400 and "No case of your body has this reference." in resp.get_data(as_text=True)
    assert 'value="nope"' in resp.get_data(as_text=True)  # what was typed is kept
    resp = client.post(f"/cases/{a.ref}/transition", data={"csrf_token": token, "action": "merge", "target": b.ref})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{b.ref}")
    html = client.get(f"/cases/{b.ref}").get_data(as_text=True)
    assert "first account" in html and "second account" in html
    html = client.get(f"/cases/{a.ref}").get_data(as_text=True)
    assert "No move is open to you on this case now." in html


def test_missing_csrf_token_is_refused(app, db, client, login_as, case_for_report):
    case = case_for_report()
    login_as("officer")
    resp = client.post(f"/cases/{case.ref}/transition", data={"action": "triage"})
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "new"
