"""Commander responses: written by a commander, approved or returned by a
supervisor of the oversight body (audited), published when approved."""
import sqlalchemy as sa
from flask_babel import refresh

from tests.fixtures.accounts import csrf_token
from tracker.audit.models import AuditEvent
from tracker.responses.models import CommanderResponse


def _write(client, **data):
    token = csrf_token(client, "/trends/responses/new")
    payload = {"csrf_token": token, "text": "We suspended the patrol and opened an inquiry.", "grain": "month",
               "period": "2026-11-02", "unit": "", "action": "submit"}
    payload.update(data)
    return client.post("/trends/responses/new", data=payload)


def test_commander_writes_supervisor_approves_public_sees(app, db, client, login_as, make_user):
    commander = login_as("commander")
    resp = _write(client)
    assert resp.status_code == 302
    item = db.session.scalar(sa.select(CommanderResponse))
    assert item.status == "submitted" and item.force_id == commander.force_id
    # Not public yet.
    client.get("/logout")
    assert "opened an inquiry" not in client.get("/transparency").get_data(as_text=True)

    other = app.test_client()
    supervisor = login_as("supervisor", client_=other)
    page = other.get(f"/trends/responses/{item.id}").get_data(as_text=True)
    assert "Approve and publish" in page
    token = csrf_token(other, f"/trends/responses/{item.id}")
    resp = other.post(f"/trends/responses/{item.id}", data={"csrf_token": token, "action": "approve", "note": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    item = db.session.get(CommanderResponse, item.id)
    assert item.status == "approved" and item.reviewer_id == supervisor.id
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "commander_response").order_by(AuditEvent.id)
    ).all()
    assert actions == ["response.submitted", "response.approved"]

    anon = app.test_client()
    for lang, direction in (("es", "ltr"), ("ar", "rtl")):
        refresh()
        html = anon.get(f"/transparency?lang={lang}").get_data(as_text=True)
        assert "We suspended the patrol and opened an inquiry." in html
        assert f'lang="{lang}" dir="{direction}"' in html
        assert "2026-11" in html and "2026-11-02" not in html  # the month, never the day


def test_return_needs_a_note_and_goes_back_to_the_commander(app, db, client, login_as):
    login_as("commander")
    _write(client)
    item = db.session.scalar(sa.select(CommanderResponse))
    other = app.test_client()
    login_as("supervisor", client_=other)
    url = f"/trends/responses/{item.id}"
    resp = other.post(url, data={"csrf_token": csrf_token(other, url), "action": "return", "note": " "})
    assert resp.status_code == 400
    assert "Say what should change." in resp.get_data(as_text=True)
    resp = other.post(url, data={"csrf_token": csrf_token(other, url), "action": "return", "note": "Say which unit."})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(CommanderResponse, item.id).status == "returned"
    page = client.get(url).get_data(as_text=True)
    assert "Say which unit." in page and "Send for approval" in page
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "response.returned")
    ) == 1


def test_empty_text_is_refused_and_kept_form(client, login_as):
    login_as("commander")
    resp = _write(client, text="   ")
    assert resp.status_code == 400
    assert "Write what was done." in resp.get_data(as_text=True)


def test_other_force_cannot_see_or_approve(app, db, client, login_as):
    login_as("commander")
    _write(client)
    item = db.session.scalar(sa.select(CommanderResponse))
    navy = app.test_client()
    login_as("commander", client_=navy, force="NAVY")
    assert navy.get(f"/trends/responses/{item.id}").status_code == 404
    assert "opened an inquiry" not in navy.get("/trends/responses").get_data(as_text=True)
    # A commander cannot approve, even their own.
    url = f"/trends/responses/{item.id}"
    token = csrf_token(client, "/trends/responses/new")
    resp = client.post(url, data={"csrf_token": token, "action": "approve"})
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(CommanderResponse, item.id).status == "submitted"


def test_supervisor_of_another_body_cannot_approve(app, db, client, login_as):
    login_as("commander")
    _write(client)
    item = db.session.scalar(sa.select(CommanderResponse))
    other = app.test_client()
    login_as("supervisor", client_=other, body="OTHER")  # no routing rule names it
    url = f"/trends/responses/{item.id}"
    assert "Approve and publish" not in other.get(url).get_data(as_text=True)
    token = csrf_token(other, "/account")
    resp = other.post(url, data={"csrf_token": token, "action": "approve"})
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(CommanderResponse, item.id).status == "submitted"


def test_admin_cannot_review(client, login_as):
    login_as("admin")
    assert client.get("/trends/responses").status_code == 403


def test_supervisor_is_told_what_waits_for_approval(app, client, login_as):
    login_as("commander")
    _write(client)
    other = app.test_client()
    login_as("supervisor", client_=other)
    html = other.get("/trends").get_data(as_text=True)
    assert "1 commander response is waiting for your approval." in html


def test_response_from_an_alert_link_keeps_its_region_and_unit(app, db, client, login_as):
    from tracker.reference.models import Region, Unit

    login_as("commander")
    region = db.session.scalar(sa.select(Region).filter_by(pcode="XV0302"))
    unit = db.session.scalar(sa.select(Unit).filter_by(code="SF1"))
    page = client.get(f"/trends/responses/new?alert=count:week:2026-11-23:region:{region.id}&grain=week"
                      f"&period=2026-11-23&region={region.id}").get_data(as_text=True)
    assert 'value="2026-11-23"' in page
    resp = _write(client, region=str(region.id), unit=str(unit.id), alert=f"count:week:2026-11-23:region:{region.id}")
    assert resp.status_code == 302
    item = db.session.scalar(sa.select(CommanderResponse))
    assert (item.region_id, item.unit_id, item.grain) == (region.id, unit.id, "month")
    resp = _write(client, region="999999")  # a stale or forged link: no error, no region
    assert resp.status_code == 302
