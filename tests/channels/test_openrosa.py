"""The OpenRosa server, driven exactly as ODK Collect drives it (OpenRosa
1.0: formList, form download, HEAD then multipart POST of the instance with
its photo), with the status codes and headers Collect relies on."""
from __future__ import annotations

import re
import uuid
from email.utils import formatdate, parsedate_to_datetime
from xml.etree import ElementTree as ET

import sqlalchemy as sa

from tests.fixtures.factories import make_jpeg

OR_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "User-Agent": "org.odk.collect.android/v2025.2.3 Dalvik/2.1.0 (Linux; U; Android 13)",
}
XFORMS_LIST = "{http://openrosa.org/xforms/xformsList}"
OR_RESPONSE = "{http://openrosa.org/http/response}"


def _headers():
    return {**OR_HEADERS, "Date": formatdate(usegmt=True)}


def _assert_openrosa(resp):
    assert resp.headers["X-OpenRosa-Version"] == "1.0"
    parsedate_to_datetime(resp.headers["Date"])  # a valid HTTP date


def instance_xml(version: str, instance_id: str, *, deprecated: str | None = None, photo: str | None = "1700000000000.jpg",
                 **fields) -> bytes:
    """An instance as Collect saves it (the form's instance, filled in)."""
    values = {
        "categories": "assault property_destruction",
        "narrative": "Soldiers searched the houses at dawn and beat two men.",
        "occurred_on_precision": "day",
        "occurred_on": "2026-11-20",
        "part_of_day": "morning",
        "province": "XV01",
        "region": "XV0102",
        "place_description": "",
        "location": "12.345678 -71.987654 0.0 20.0",
        "force": "ARMY",
        "unit": "ARMY__BDE4",
        "unit_description": "",
        "operation": "",
        "harm_killed": "0", "harm_injured": "2", "harm_detained": "", "harm_missing": "",
        "harm_displaced_households": "",
        "property_damaged": "yes",
        "victims": "women elderly",
        "relationship": "witness",
        "needs": "medical legal",
        "consent_contact": "no", "consent_statistics": "yes", "consent_referral": "no",
        "contact_name": "", "contact_phone": "", "contact_safe_times": "",
        "photo_1": photo or "", "photo_2": "", "photo_3": "", "photo_4": "", "photo_5": "",
    }
    values.update(fields)
    body = "".join(f"<{k}>{v}</{k}>" if v else f"<{k}/>" for k, v in values.items())
    meta = f"<instanceID>{instance_id}</instanceID>"
    if deprecated:
        meta += f"<deprecatedID>{deprecated}</deprecatedID>"
    return (
        f"<?xml version='1.0' ?><data id=\"tracker_report\" version=\"{version}\" "
        'xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'xmlns:odk="http://www.opendatakit.org/xforms">{body}<meta>{meta}</meta></data>'
    ).encode()


def _form_version(client, token) -> str:
    resp = client.get(f"/openrosa/{token}/formList", headers=_headers())
    return ET.fromstring(resp.data).find(f"{XFORMS_LIST}xform/{XFORMS_LIST}version").text


def post_instance(client, token, xml: bytes, photo_name="1700000000000.jpg", photo=None):
    from io import BytesIO

    data = {"xml_submission_file": (BytesIO(xml), "submission.xml", "text/xml")}
    if photo_name:
        data[photo_name] = (BytesIO(photo or make_jpeg(gps=True)), photo_name, "image/jpeg")
    return client.post(f"/openrosa/{token}/submission", data=data, headers=_headers(),
                       content_type="multipart/form-data")


def _reports(db):
    from tracker.intake.models import Report

    return db.session.scalars(sa.select(Report)).all()


def test_form_list_and_download_as_collect_fetches_them(client, device):
    _partner, token = device
    resp = client.get(f"/openrosa/{token}/formList", headers=_headers())
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    _assert_openrosa(resp)
    root = ET.fromstring(resp.data)
    assert root.tag == f"{XFORMS_LIST}xforms"
    forms = root.findall(f"{XFORMS_LIST}xform")
    assert len(forms) == 1
    form = forms[0]
    assert form.find(f"{XFORMS_LIST}formID").text == "tracker_report"
    url = form.find(f"{XFORMS_LIST}downloadUrl").text
    md5 = form.find(f"{XFORMS_LIST}hash").text
    path = url.split("://", 1)[1].split("/", 1)[1]
    xform = client.get("/" + path, headers=_headers())
    assert xform.status_code == 200
    _assert_openrosa(xform)
    import hashlib

    assert md5 == "md5:" + hashlib.md5(xform.data).hexdigest()
    doc = ET.fromstring(xform.data)
    xf = "{http://www.w3.org/2002/xforms}"
    langs = {t.get("lang") for t in doc.iter(f"{xf}translation")}
    assert {"English (en)", "Spanish (es)", "French (fr)", "Arabic (ar)"} <= langs
    assert len(langs) == len(client.application.config["LANGUAGES"])
    instance = doc.find(f".//{xf}instance/{xf}data")
    assert instance.get("id") == "tracker_report"
    assert instance.get("version") == form.find(f"{XFORMS_LIST}version").text
    # the P-codes of the web form's regions, with the Spanish name in itext
    assert b'XV0102' in xform.data and b"Sierra Clara" in xform.data
    assert b"Tierras Altas del Norte" in xform.data and "المرتفعات الشمالية".encode() in xform.data


def test_head_then_post_files_one_report_with_its_photo_and_a_resend_files_nothing(client, device, db):
    partner, token = device
    head = client.head(f"/openrosa/{token}/submission", headers=_headers())
    assert head.status_code == 204
    _assert_openrosa(head)
    assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) >= 10 * 1024 * 1024

    version = _form_version(client, token)
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(version, instance_id)
    resp = post_instance(client, token, xml)
    assert resp.status_code == 201, resp.data
    _assert_openrosa(resp)
    root = ET.fromstring(resp.data)
    assert root.tag == f"{OR_RESPONSE}OpenRosaResponse"
    message = root.find(f"{OR_RESPONSE}message").text
    receipt = re.search(r"\d{4} \d{4} \d{4} \d{4}", message).group(0)

    reports = _reports(db)
    assert len(reports) == 1
    report = reports[0]
    assert report.filed_by_org_id == partner.organisation_id and report.filed_by_user_id == partner.id
    assert report.region.pcode == "XV0102" and report.unit.code == "BDE4" and report.force.code == "ARMY"
    assert sorted(report.category_codes) == ["assault", "property_destruction"]
    assert (report.latitude, report.longitude) == (12.35, -71.99)  # rounded to ~1 km
    assert report.victims_women and report.victims_elderly and not report.victims_children
    assert report.injured == 2 and report.property_damaged and report.needs == ["medical", "legal"]
    assert report.severity == "high"  # injury (DESIGN §4)
    assert report.case is not None and report.case.state in ("new", "escalated")
    assert len(report.photos) == 1
    from tracker.core.crypto import decrypt_bytes

    clean = decrypt_bytes(report.photos[0].content_enc)
    assert b"GPS" not in clean and clean[:2] == b"\xff\xd8"  # re-encoded, metadata gone

    # Collect lost the answer and sends the same instance again: one report, same receipt.
    again = post_instance(client, token, xml)
    assert again.status_code == 201
    assert receipt in ET.fromstring(again.data).find(f"{OR_RESPONSE}message").text
    assert len(_reports(db)) == 1


def test_the_report_is_on_the_partners_page_and_the_receipt_works(app, client, device, db, login_as):
    partner, token = device
    resp = post_instance(client, token, instance_xml(_form_version(client, token), f"uuid:{uuid.uuid4()}"))
    receipt = re.search(r"\d{4} \d{4} \d{4} \d{4}", resp.get_data(as_text=True)).group(0)
    web = app.test_client()
    login_as(partner, web)
    page = web.get("/partner/reports").get_data(as_text=True)
    assert "Sierra Clara" in page
    from tracker.intake.services import lookup_report

    assert lookup_report(receipt).id == _reports(db)[0].id


def test_an_edit_is_refused_clearly_and_does_not_double_the_report(client, device, db):
    _partner, token = device
    version = _form_version(client, token)
    first = f"uuid:{uuid.uuid4()}"
    assert post_instance(client, token, instance_xml(version, first)).status_code == 201
    edit = instance_xml(version, f"uuid:{uuid.uuid4()}", deprecated=first, narrative="Corrected text")
    resp = post_instance(client, token, edit)
    assert resp.status_code == 409
    _assert_openrosa(resp)
    message = ET.fromstring(resp.data).find(f"{OR_RESPONSE}message").text
    assert "edit" in message.lower() and "not accepted" in message
    assert len(_reports(db)) == 1


def test_bad_and_revoked_tokens_get_401(client, device, db):
    partner, token = device
    bad = "dev_" + "x" * 43
    for method, path in (("GET", "formList"), ("HEAD", "submission"), ("GET", "forms/tracker_report.xml")):
        resp = client.open(f"/openrosa/{bad}/{path}", method=method, headers=_headers())
        assert resp.status_code == 401, path
        _assert_openrosa(resp)
    version = _form_version(client, token)
    assert post_instance(client, bad, instance_xml(version, f"uuid:{uuid.uuid4()}")).status_code == 401

    from tracker.channels.models import DeviceToken
    from tracker.channels.services import revoke_device_token

    device_row = db.session.scalars(sa.select(DeviceToken)).one()
    assert revoke_device_token(partner, device_row.id)
    db.session.commit()
    assert client.get(f"/openrosa/{token}/formList", headers=_headers()).status_code == 401
    assert client.head(f"/openrosa/{token}/submission", headers=_headers()).status_code == 401
    assert post_instance(client, token, instance_xml(version, f"uuid:{uuid.uuid4()}")).status_code == 401
    assert _reports(db) == []


def test_an_invalid_submission_is_refused_with_the_schema_message(client, device, db):
    _partner, token = device
    xml = instance_xml(_form_version(client, token), f"uuid:{uuid.uuid4()}", region="", province="", categories="")
    resp = post_instance(client, token, xml)
    assert resp.status_code == 400
    message = ET.fromstring(resp.data).find(f"{OR_RESPONSE}message").text
    assert "region" in message and "categories" in message
    assert _reports(db) == []


def test_a_spanish_partner_gets_spanish_messages(client, device, db):
    partner, token = device
    partner.language = "es"
    db.session.commit()
    resp = post_instance(client, token, instance_xml(_form_version(client, token), f"uuid:{uuid.uuid4()}"))
    assert resp.status_code == 201
    message = ET.fromstring(resp.data).find(f"{OR_RESPONSE}message").text
    assert message.startswith("Denuncia registrada")
