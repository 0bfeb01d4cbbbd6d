"""Admin pages: role checks, users (audited), reference data, settings."""
import io

import pytest
import sqlalchemy as sa

from tests.fixtures.accounts import csrf_token, totp_code
from tracker.accounts import services
from tracker.accounts.models import Organisation, User
from tracker.admin.settings import get_setting, k_threshold, triage_deadlines
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.reference.models import Force, Operation, OversightBody, Region, RoutingRule, Unit

ADMIN_PAGES = ["/admin/", "/admin/organisations", "/admin/forces", "/admin/regions", "/admin/boundaries", "/admin/operations",
               "/admin/bodies", "/admin/settings"]


def audit(action):
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("role", ["partner", "officer", "supervisor", "commander"])
def test_reference_pages_are_for_admins_only(client, login_as, role):
    login_as(role)
    token = csrf_token(client, "/account")
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url
        if url != "/admin/":
            # A valid CSRF token does not help: the role is refused.
            assert client.post(url, data={"csrf_token": token, "code": "X", "name": "X"}).status_code == 403, url


def test_anonymous_is_sent_to_sign_in(client):
    for url in ADMIN_PAGES + ["/admin/users"]:
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), url


def test_admin_sees_every_page(client, login_as):
    login_as("admin")
    for url in ADMIN_PAGES + ["/admin/users", "/admin/users/new"]:
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        assert "style=" not in html and "<script>" not in html and "onclick" not in html


def test_admin_creates_a_user_and_it_is_audited(client, login_as):
    admin = login_as("admin")
    token = csrf_token(client, "/admin/users/new")
    resp = client.post("/admin/users/new", data={
        "csrf_token": token, "email": "newofficer@example.org", "role": "officer", "body": "NOC",
        "password": "initial password 1",
    })
    assert resp.status_code == 302
    user = services.find_user("newofficer@example.org")
    assert user.role == "officer" and user.body.code == "NOC"
    ev = audit("user.created")[-1]
    assert ev.actor_user_id == admin.id and ev.object_id == user.id


def test_create_user_errors_are_shown_next_to_the_field_and_input_kept(client, login_as):
    login_as("admin")
    token = csrf_token(client, "/admin/users/new")
    resp = client.post("/admin/users/new", data={
        "csrf_token": token, "email": "p@example.org", "role": "partner", "password": "initial password 1",
    })
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Choose the civil-society organisation" in html and 'value="p@example.org"' in html
    assert services.find_user("p@example.org") is None


def test_admin_changes_role_and_the_change_is_audited_and_ends_sessions(app, client, login_as, make_user):
    target = make_user("officer")
    target_client = app.test_client()
    login_as(target, target_client)
    assert target_client.get("/account").status_code == 200
    admin = login_as("admin")
    token = csrf_token(client, f"/admin/users/{target.id}")
    resp = client.post(f"/admin/users/{target.id}", data={"csrf_token": token, "role": "commander", "force": "ARMY"})
    assert resp.status_code == 302
    db.session.refresh(target)
    assert target.role == "commander" and target.force.code == "ARMY" and target.body is None
    ev = audit("user.permissions_changed")[-1]
    assert ev.actor_user_id == admin.id
    assert ev.data["before"]["role"] == "officer" and ev.data["after"]["role"] == "commander"
    assert target_client.get("/account").status_code == 302  # signed out by the change


def test_admin_cannot_change_own_role_or_disable_self(client, login_as):
    admin = login_as("admin")
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Disable account" not in page and 'name="role"' not in page
    token = csrf_token(client, "/account")
    client.post(f"/admin/users/{admin.id}", data={"csrf_token": token, "role": "officer", "body": "NOC"})
    db.session.refresh(admin)
    assert admin.role == "admin"
    resp = client.post(f"/admin/users/{admin.id}/disable", data={"act-csrf_token": token})
    assert resp.status_code == 403


def test_disable_enable_and_reset_totp_are_audited(app, client, login_as, make_user):
    target = make_user("supervisor")
    admin = login_as("admin")
    token = csrf_token(client, f"/admin/users/{target.id}")
    assert client.post(f"/admin/users/{target.id}/reset-totp", data={"act-csrf_token": token}).status_code == 302
    db.session.refresh(target)
    assert not target.totp_enabled and target.totp_secret_enc is None
    assert client.post(f"/admin/users/{target.id}/disable", data={"act-csrf_token": token}).status_code == 302
    db.session.refresh(target)
    assert not target.is_active_account
    assert client.post(f"/admin/users/{target.id}/enable", data={"act-csrf_token": token}).status_code == 302
    assert [e.actor_user_id for e in audit("user.totp_reset") + audit("user.disabled") + audit("user.enabled")] == [admin.id] * 3
    # After the reset the supervisor must enrol again.
    other = app.test_client()
    resp = other.post("/login", data={"csrf_token": csrf_token(other, "/login"), "email": target.email,
                                      "password": target.test_password})
    assert resp.headers["Location"] == "/account/two-step"


def test_actions_need_csrf(client, login_as, make_user):
    target = make_user("officer")
    login_as("admin")
    assert client.post(f"/admin/users/{target.id}/disable", data={}).status_code == 400
    db.session.refresh(target)
    assert target.is_active_account


# --------------------------------------------------------------------------- supervisors


def test_supervisor_manages_only_their_bodys_officers(client, login_as, make_user):
    mine = make_user("officer")
    theirs = make_user("officer", body="OTHER")
    peer = make_user("supervisor")
    partner = make_user("partner")
    login_as("supervisor")
    html = client.get("/admin/users").get_data(as_text=True)
    assert mine.email in html
    for hidden in (theirs, peer, partner):
        assert hidden.email not in html
        assert client.get(f"/admin/users/{hidden.id}").status_code == 404
    token = csrf_token(client, "/account")
    assert client.post(f"/admin/users/{theirs.id}/disable", data={"act-csrf_token": token}).status_code == 404
    assert client.post(f"/admin/users/{mine.id}/disable", data={"act-csrf_token": token}).status_code == 302
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert not mine.is_active_account and theirs.is_active_account


def test_supervisor_creates_officers_of_their_own_body_only(client, login_as, make_user):
    sup = login_as("supervisor")
    make_user("officer", body="OTHER")
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="role"' not in page.replace('type="hidden" name="role"', "") and 'name="body"' not in page
    token = csrf_token(client, "/admin/users/new")
    # Whatever is posted, a supervisor can only create an officer of their own body.
    resp = client.post("/admin/users/new", data={
        "csrf_token": token, "email": "o2@example.org", "role": "admin", "body": "OTHER",
        "password": "initial password 1",
    })
    assert resp.status_code == 302
    user = services.find_user("o2@example.org")
    assert user.role == "officer" and user.body_id == sup.body_id


def test_supervisor_cannot_change_roles(client, login_as, make_user):
    mine = make_user("officer")
    login_as("supervisor")
    token = csrf_token(client, f"/admin/users/{mine.id}")
    client.post(f"/admin/users/{mine.id}", data={"csrf_token": token, "role": "supervisor", "body": "NOC"})
    db.session.refresh(mine)
    assert mine.role == "officer"


# --------------------------------------------------------------------------- reference data


def test_add_organisation_force_unit_operation_body_rule(client, login_as):
    login_as("admin")
    t = csrf_token(client, "/admin/organisations")
    assert client.post("/admin/organisations", data={"csrf_token": t, "code": "WRN", "name": "Women's Rights Network"}).status_code == 302
    assert db.session.scalar(sa.select(Organisation).filter_by(code="WRN")).name == "Women's Rights Network"
    # duplicate code → error next to the field
    html = client.post("/admin/organisations", data={"csrf_token": t, "code": "WRN", "name": "Again"}).get_data(as_text=True)
    assert "already used" in html

    t = csrf_token(client, "/admin/forces")
    assert client.post("/admin/forces", data={"force-csrf_token": t, "force-code": "GEND", "force-kind": "police",
                                              "force-name_en": "Gendarmerie", "force-submit": "1"}).status_code == 302
    gend = db.session.scalar(sa.select(Force).filter_by(code="GEND"))
    assert gend.names == {"en": "Gendarmerie"}
    assert client.post("/admin/forces", data={"unit-csrf_token": t, "unit-force": gend.id, "unit-code": "G1",
                                              "unit-name_en": "First squadron", "unit-submit": "1"}).status_code == 302
    assert db.session.scalar(sa.select(Unit).filter_by(code="G1")).force_id == gend.id

    t = csrf_token(client, "/admin/operations")
    resp = client.post("/admin/operations", data={"csrf_token": t, "code": "OP-X", "name_en": "Operation X",
                                                  "force": "GEND", "region": "XV01", "starts_on": "2026-03-01",
                                                  "ends_on": "2026-02-01"})
    assert "The end date is before the start date." in resp.get_data(as_text=True)
    assert 'value="OP-X"' in resp.get_data(as_text=True)
    resp = client.post("/admin/operations", data={"csrf_token": t, "code": "OP-X", "name_en": "Operation X",
                                                  "force": "GEND", "region": "XV01", "starts_on": "2026-01-01"})
    assert resp.status_code == 302
    op = db.session.scalar(sa.select(Operation).filter_by(code="OP-X"))
    assert op.force.code == "GEND" and op.region.pcode == "XV01"

    t = csrf_token(client, "/admin/bodies")
    assert client.post("/admin/bodies", data={"body-csrf_token": t, "body-code": "PROV", "body-name_en": "Provincial ombudsman",
                                              "body-email": "ombuds@example.org", "body-submit": "1"}).status_code == 302
    assert client.post("/admin/bodies", data={"rule-csrf_token": t, "rule-force": "GEND", "rule-region": "XV01",
                                              "rule-body": "PROV", "rule-submit": "1"}).status_code == 302
    rule = db.session.scalar(sa.select(RoutingRule).join(OversightBody).filter(OversightBody.code == "PROV"))
    assert rule.force.code == "GEND" and rule.region.pcode == "XV01"
    assert client.post(f"/admin/routing/{rule.id}/delete", data={"del-csrf_token": t}).status_code == 302
    assert db.session.get(RoutingRule, rule.id) is None
    events = sa.select(AuditEvent).where(AuditEvent.action.like("reference.%")).order_by(AuditEvent.id)
    actions = [e.action for e in db.session.scalars(events)]
    assert actions == ["reference.organisation_created", "reference.force_created", "reference.unit_created",
                       "reference.operation_created", "reference.body_created", "reference.routing_rule_created",
                       "reference.routing_rule_deleted"]


REGIONS_CSV = (
    "pcode,parent_pcode,level,kind,name_en,name_es,name_fr,name_ar\n"
    "XV09,XV,1,maritime,Southern Waters,Aguas del Sur,Eaux du Sud,المياه الجنوبية\n"
    "XV0901,XV09,2,maritime,Cape Reef,Arrecife del Cabo,Récif du Cap,شعاب الرأس\n"
)


def _upload(client, data: bytes, name="regions.csv"):
    t = csrf_token(client, "/admin/regions")
    return client.post("/admin/regions", data={"csrf_token": t, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_region_csv_upload(client, login_as):
    login_as("admin")
    resp = _upload(client, REGIONS_CSV.encode())
    assert resp.status_code == 302
    reef = db.session.scalar(sa.select(Region).filter_by(pcode="XV0901"))
    assert reef.parent.pcode == "XV09" and reef.kind == "maritime" and reef.names["ar"] == "شعاب الرأس"
    # Uploading again updates instead of duplicating.
    assert _upload(client, REGIONS_CSV.replace("Cape Reef", "Cape Reefs").encode()).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region).filter_by(pcode="XV0901")) == 1
    assert db.session.scalar(sa.select(Region).filter_by(pcode="XV0901")).names["en"] == "Cape Reefs"
    assert audit("reference.regions_imported")[-1].data == {"rows": 2}


@pytest.mark.parametrize(
    "content,message",
    [
        (b"pcode,level\nX,1\n", "lacks these columns"),
        (b"pcode,parent_pcode,level,kind,name_en\nXV77,NOPE,1,land,Lost\n", "parent P-code is unknown"),
        (b"pcode,parent_pcode,level,kind,name_en\nXV77,XV,5,land,Deep\n", "level must be 0, 1 or 2"),
        (b"\xff\xfe\x00bad", "UTF-8"),
    ],
)
def test_bad_region_csv_is_refused_with_a_reason_and_nothing_loaded(client, login_as, content, message):
    login_as("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Region))
    resp = _upload(client, content)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == before


def test_settings_are_saved_read_back_and_audited(app, client, login_as):
    login_as("admin")
    assert triage_deadlines() == app.config["TRIAGE_DEADLINES"]
    assert k_threshold() == app.config["TRACKER_K_THRESHOLD"]
    t = csrf_token(client, "/admin/settings")
    resp = client.post("/admin/settings", data={"csrf_token": t, "deadline_critical": "12", "deadline_high": "48",
                                                "deadline_medium": "120", "deadline_low": "240", "k_threshold": "5"})
    assert resp.status_code == 302
    assert triage_deadlines() == {"critical": 12, "high": 48, "medium": 120, "low": 240}
    assert k_threshold() == 5 and get_setting("k_threshold") == 5
    assert get_setting("missing", "fallback") == "fallback"
    assert audit("settings.changed")[-1].data["k_threshold"] == 5
    html = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="12"' in html


def test_bad_settings_show_errors_and_keep_input(client, login_as):
    login_as("admin")
    t = csrf_token(client, "/admin/settings")
    resp = client.post("/admin/settings", data={"csrf_token": t, "deadline_critical": "0", "deadline_high": "abc",
                                                "deadline_medium": "120", "deadline_low": "240", "k_threshold": "1"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "between 1 and 8760" in html and "between 2 and 1000" in html
    assert 'value="abc"' in html
    assert get_setting("triage_deadlines") is None


def test_admin_pages_show_no_case_content(client, login_as):
    """Least privilege: nothing on the admin pages links to a case."""
    login_as("admin")
    for url in ADMIN_PAGES + ["/admin/users"]:
        html = client.get(url).get_data(as_text=True)
        assert "/cases" not in html, url


def test_user_list_of_admin_shows_everyone(client, login_as, make_user):
    others = [make_user(r) for r in ("partner", "officer", "commander")]
    login_as("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    for u in others:
        assert u.email in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 4


def test_totp_helper_is_importable():
    assert callable(totp_code)
