"""Every route has an access decision (issue 3, item 10).

The test walks ``app.url_map``: for every rule, every HTTP method it serves
and every role (anonymous included) it checks the answer against ACCESS,
the explicit table below. A new route without a row FAILS the suite, and so
does a row for a route that no longer exists.

Outcomes: an allowed role gets past the guard (anything but a sign-in
redirect, 401, 403 or 404, and never a 500); a refused role gets the
sign-in page (anonymous, HTML), 401 (anonymous, API), or 403/404 (signed in:
a 404 hides that an object exists). URL arguments are filled from sample
objects made for each run: a case of the user's own oversight body filed by
the partner's organisation, with a photo; an officer of that body; a token
of the signed-in user; a commander response of the commander's force.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.fixtures.accounts import DEFAULT_PASSWORD, csrf_token
from tests.fixtures.factories import create_report, make_jpeg

ANON = "anonymous"
ROLES = (ANON, "partner", "officer", "supervisor", "commander", "admin")
EVERYONE = frozenset(ROLES)
STAFF = EVERYONE - {ANON}
CASE_WORKERS = frozenset({"officer", "supervisor"})

# endpoint → roles allowed. Everything not listed in a row is refused.
ACCESS: dict[str, frozenset] = {
    # Public pages: the reporter's side, transparency, health, assets.
    "static": EVERYONE,
    "public.home": EVERYONE,
    "public.healthz": EVERYONE,
    "public.transparency": EVERYONE,
    "public.transparency_hxl": EVERYONE,
    "intake.report": EVERYONE,
    "intake.receipt": EVERYONE,
    "intake.followup": EVERYONE,
    "intake.pulse": EVERYONE,
    "intake.pulse_thanks": EVERYONE,
    "intake.service_worker": EVERYONE,
    "intake.districts_svg": EVERYONE,
    "intake.quick_exit": EVERYONE,
    # Partners: the reports their organisation filed (another organisation's: 404).
    "intake.partner_reports": frozenset({"partner"}),
    "intake.partner_report": frozenset({"partner"}),
    # Public JSON API (intake needs no account).
    "api.submit_report": EVERYONE,
    "api.followup": EVERYONE,
    "api.add_message": EVERYONE,
    "api.pulse": EVERYONE,
    "api.openapi_document": EVERYONE,
    # Signing in and out.
    "accounts.login": EVERYONE,
    "accounts.totp": EVERYONE,  # only usable between the password and code steps (see SPECIAL)
    "accounts.logout": EVERYONE,  # anonymous is simply sent home
    "accounts.enrol_totp": STAFF,
    "accounts.account": STAFF,
    "accounts.revoke_token": STAFF,
    # Cases: officers and supervisors of the case's body; partners see the
    # status of what their organisation filed; never commanders or admins.
    "cases.queue": CASE_WORKERS,
    "cases.case": CASE_WORKERS | {"partner"},
    "cases.assign": CASE_WORKERS,
    "cases.message": CASE_WORKERS,
    "cases.add_note": CASE_WORKERS,
    "cases.photo": CASE_WORKERS,
    "cases.reveal": CASE_WORKERS,
    "cases.severity": CASE_WORKERS,
    "cases.transition": CASE_WORKERS,
    "cases.verification": CASE_WORKERS,
    "cases.audit": frozenset({"supervisor"}),
    "cases.export": frozenset({"supervisor"}),
    # Staff API (bearer token or session).
    "api.staff_cases": CASE_WORKERS,
    "api.staff_case": CASE_WORKERS,
    "api.staff_message": CASE_WORKERS,
    "api.staff_transition": CASE_WORKERS,
    # Trends: commanders (their force) and supervisors (review responses).
    "trends.index": frozenset({"commander", "supervisor"}),
    # Commander responses: commanders write, supervisors review and translate.
    "responses.index": frozenset({"commander", "supervisor"}),
    "responses.new": frozenset({"commander"}),
    "responses.edit": frozenset({"commander", "supervisor"}),
    "responses.translate": frozenset({"supervisor"}),
    # Administration: admins; supervisors manage their own body's officers.
    "admin.dashboard": frozenset({"admin"}),
    "admin.organisations": frozenset({"admin"}),
    "admin.forces": frozenset({"admin"}),
    "admin.regions": frozenset({"admin"}),
    "admin.boundaries": frozenset({"admin"}),
    "admin.region_edit": frozenset({"admin"}),
    "admin.unit_edit": frozenset({"admin"}),
    "admin.operations": frozenset({"admin"}),
    "admin.bodies": frozenset({"admin"}),
    "admin.routing_rule_delete": frozenset({"admin"}),
    "admin.settings": frozenset({"admin"}),
    "admin.users": frozenset({"admin", "supervisor"}),
    "admin.user_create": frozenset({"admin", "supervisor"}),
    "admin.user_edit": frozenset({"admin", "supervisor"}),
    "admin.user_disable": frozenset({"admin", "supervisor"}),
    "admin.user_enable": frozenset({"admin", "supervisor"}),
    "admin.user_reset_totp": frozenset({"admin", "supervisor"}),
    # Channels (issue 10): the device token in the URL authenticates OpenRosa
    # and Kobo requests, whoever holds a session; partners manage devices.
    "channels.openrosa_root": EVERYONE,
    "channels.form_list": EVERYONE,
    "channels.form_download": EVERYONE,
    "channels.submission": EVERYONE,
    "channels.kobo_submission": EVERYONE,
    "channels.issue_device": frozenset({"partner"}),
    "channels.revoke_device": frozenset({"partner"}),
    "channels.xlsform_download": frozenset({"partner"}),
    # SMS webhooks: signed by the gateway, never by a session (off without settings).
    "channels.twilio_webhook": EVERYONE,
    "channels.rapidpro_webhook": EVERYONE,
}

# Routes whose answer does not depend on the role at all.
SPECIAL = {
    # No sign-in pending: everyone is sent back to the password step.
    "accounts.totp": lambda resp: resp.status_code == 302 and resp.headers["Location"].startswith("/login"),
    # Not configured under test: switched off for everyone alike.
    "channels.twilio_webhook": lambda resp: resp.status_code == 404,
    "channels.rapidpro_webhook": lambda resp: resp.status_code == 404,
}

# Everything that shows or acts on a single case, report, narrative, photo
# or message: never for a commander or an admin (DESIGN §1).
CASE_CONTENT_PREFIXES = ("/cases", "/api/v1/cases", "/partner/reports")

NARRATIVE = "Matrix sample narrative: the soldiers broke the blue door"
PLACE = "Behind the matrix sample well"


# --------------------------------------------------------------------------- samples


def _samples(app, role, login_as, make_user, client):
    """Sign ``client`` in as ``role`` and make the objects URL arguments need."""
    from tracker.accounts import services
    from tracker.extensions import db
    from tracker.intake.photos import UploadedPhoto
    from tracker.reference.models import Force, RoutingRule, Unit

    user = None if role == ANON else login_as(role, client)
    filer = make_user("partner")  # same organisation (CRN) as a signed-in partner
    officer = make_user("officer")  # of NOC, like the signed-in officer/supervisor
    report, _receipt = create_report(
        filed_by=filer, narrative=NARRATIVE, place_description=PLACE,
        photos=[UploadedPhoto("door.jpg", make_jpeg())],
    )
    case = report.case
    photo = report.photos[0]
    token_owner = user or officer
    token, _plain = services.issue_token(token_owner, "matrix")
    army = db.session.scalar(sa.select(Force).filter_by(code="ARMY"))
    from tracker.responses.models import CommanderResponse

    response = CommanderResponse(
        force_id=army.id, author_id=user.id if role == "commander" else None, period_start=report.occurred_on.replace(day=1),
        text="We retrained the unit.", status="submitted",
    )
    db.session.add(response)
    rule = db.session.scalar(sa.select(RoutingRule).order_by(RoutingRule.id))
    from tracker.channels.services import issue_device_token

    # The token in the URLs is another device's: revoking the signed-in
    # partner's own device (device_id) must not switch those routes off.
    _filer_device, device_token = issue_device_token(filer, "matrix phone")
    device = issue_device_token(user, "own phone")[0] if role == "partner" else _filer_device
    db.session.commit()
    return {
        "ref": case.ref,
        "report_id": report.id,
        "photo_id": photo.id,
        "user_id": officer.id,
        "token_id": token.id,
        "rule_id": rule.id,
        "pcode": "XV0101",
        "unit_id": db.session.scalar(sa.select(Unit.id).order_by(Unit.id)),
        "response_id": response.id,
        "filename": "tracker.css",
        "token": device_token,
        "form_id": "tracker_report",
        "device_id": device.id,
    }, user


def _url(rule, samples) -> str:
    from flask import url_for

    values = {}
    for arg in rule.arguments:
        if arg not in samples:
            raise AssertionError(f"no sample value for <{arg}> in {rule.rule}: add one to _samples()")
        values[arg] = samples[arg]
    return url_for(rule.endpoint, **values)


def _outcome(resp) -> str:
    if resp.status_code >= 500:
        return "error"
    if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("Location", "").startswith("/login"):
        return "login"
    if resp.status_code == 401:
        return "unauthorised"
    if resp.status_code in (403, 404):
        return "refused"
    return "ok"


def _expected_refusal(role, path) -> set[str]:
    if role == ANON:
        return {"unauthorised"} if path.startswith("/api/") else {"login"}
    return {"refused"}


def _requests(app):
    """(rule, method) pairs, GETs first and signing out last (it ends the session)."""
    pairs = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            pairs.append((rule, method))
    return sorted(pairs, key=lambda p: (p[0].endpoint == "accounts.logout", p[1] != "GET", p[0].rule))


# --------------------------------------------------------------------------- tests


def test_every_route_has_a_row_and_every_row_a_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ACCESS))
    stale = sorted(set(ACCESS) - endpoints)
    assert not missing, f"routes without an access decision in tests/test_access_matrix.py ACCESS: {missing}"
    assert not stale, f"ACCESS rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, login_as, make_user, role):
    samples, _user = _samples(app, role, login_as, make_user, client)
    token = csrf_token(client, "/login" if role == ANON else "/account")
    failures = []
    for rule, method in _requests(app):
        if rule.endpoint not in ACCESS:
            failures.append(f"{rule.endpoint}: no row in ACCESS")
            continue
        with app.test_request_context():
            url = _url(rule, samples)
        headers = {"X-CSRFToken": token}
        if rule.rule.startswith("/api/"):
            resp = client.open(url, method=method, json={} if method != "GET" else None, headers=headers)
        else:
            resp = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None,
                               headers=headers)
        got = _outcome(resp)
        resp.close()  # static files are streamed from an open file
        if rule.endpoint in SPECIAL:
            ok = SPECIAL[rule.endpoint](resp)
            expected = "special"
        elif role in ACCESS[rule.endpoint]:
            expected = {"ok"}
            ok = got in expected
        else:
            expected = _expected_refusal(role, rule.rule)
            ok = got in expected
        if not ok:
            failures.append(f"{role} {method} {url} ({rule.endpoint}): got {got} [{resp.status_code} "
                            f"{resp.headers.get('Location', '')}], expected {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["commander", "admin"])
def test_commanders_and_admins_never_reach_case_content(app, client, login_as, make_user, role):
    """No case, report, narrative, photo or message route answers them, and
    no page they can open shows a narrative or place description."""
    samples, _user = _samples(app, role, login_as, make_user, client)
    token = csrf_token(client, "/account")
    for rule, method in _requests(app):
        if rule.endpoint == "accounts.logout":
            continue
        with app.test_request_context():
            url = _url(rule, samples)
        if rule.rule.startswith(CASE_CONTENT_PREFIXES):
            assert role not in ACCESS[rule.endpoint], rule.endpoint
            resp = client.open(url, method=method, headers={"X-CSRFToken": token},
                               data={"csrf_token": token} if method != "GET" else None)
            assert resp.status_code in (403, 404), f"{role} reached {method} {url}: {resp.status_code}"
        elif method == "GET":
            resp = client.get(url)
            html = resp.get_data(as_text=True)
            resp.close()
            assert NARRATIVE not in html and PLACE not in html, f"{role} saw case content on {url}"


def test_officers_never_reach_another_bodys_case(app, client, login_as, make_user):
    """Every case route answers 403/404 to officers and supervisors of
    another body, and the queue does not list the case."""
    from tracker.extensions import db
    from tracker.intake.photos import UploadedPhoto
    from tracker.reference.models import Force, OversightBody, RoutingRule

    other = OversightBody(code="OTHER", names={"en": "Another oversight body"})
    navy = db.session.scalar(sa.select(Force).filter_by(code="NAVY"))
    db.session.add_all([other, RoutingRule(force=navy, body=other)])
    db.session.commit()
    report, _ = create_report(force="NAVY", unit="", operation="", narrative=NARRATIVE,
                              photos=[UploadedPhoto("x.jpg", make_jpeg())])
    assert report.case.body_id == other.id
    samples = {"ref": report.case.ref, "photo_id": report.photos[0].id}
    for role in ("officer", "supervisor"):
        c = app.test_client()
        login_as(role, c)
        token = csrf_token(c, "/account")
        queue = c.get("/cases").get_data(as_text=True)
        assert report.case.ref not in queue
        for rule, method in _requests(app):
            if not rule.rule.startswith(CASE_CONTENT_PREFIXES) or "ref" not in rule.arguments:
                continue
            with app.test_request_context():
                url = _url(rule, samples)
            if rule.rule.startswith("/api/"):
                resp = c.open(url, method=method, json={} if method != "GET" else None, headers={"X-CSRFToken": token})
            else:
                resp = c.open(url, method=method, data={"csrf_token": token} if method != "GET" else None,
                              headers={"X-CSRFToken": token})
            assert resp.status_code in (403, 404), f"{role} of NOC reached {method} {url}: {resp.status_code}"
            assert NARRATIVE not in resp.get_data(as_text=True)


def test_a_partner_sees_only_the_status_of_what_their_organisation_filed(app, client, login_as, make_user):
    from tracker.accounts.models import Organisation
    from tracker.extensions import db

    filer = make_user("partner")
    report, _ = create_report(filed_by=filer, narrative=NARRATIVE)
    stranger_org = Organisation(code="OTHERORG", name="Another organisation")
    db.session.add(stranger_org)
    db.session.commit()
    login_as("partner", organisation=stranger_org)
    assert client.get(f"/cases/{report.case.ref}").status_code in (403, 404)
    c2 = app.test_client()
    login_as("partner", c2)  # CRN, the filer's organisation
    resp = c2.get(f"/cases/{report.case.ref}")
    assert resp.status_code == 200 and NARRATIVE not in resp.get_data(as_text=True)


def test_default_password_fixture_is_long_enough():
    assert len(DEFAULT_PASSWORD) >= 12
