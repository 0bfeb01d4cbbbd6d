"""KoboToolbox REST Service: the JSON Kobo posts for a submission of
Tracker's XLSForm is filed like an OpenRosa submission, deduplicated by the
submission's root UUID, and authenticated by the partner's device token."""
from __future__ import annotations

import uuid

import sqlalchemy as sa


def kobo_payload(root: str, **fields) -> dict:
    """What Kobo's REST Service posts (JSON export format of one submission)."""
    payload = {
        "_id": 421337,
        "formhub/uuid": "2d5b1c0a0f7b4e6d9c2b0a1e3f4d5c6b",
        "start": "2026-11-22T09:12:03.000+01:00",
        "end": "2026-11-22T09:20:41.000+01:00",
        "categories": "arbitrary_detention",
        "occurred_on_precision": "month",
        "occurred_on": "2026-11-01",
        "province": "XV02",
        "region": "XV02",
        "force": "ARMY",
        "harm_detained": "3",
        "consent_contact": "no",
        "consent_statistics": "yes",
        "consent_referral": "no",
        "__version__": "vR4bqqGb6ubxGbqtHcNpEH",
        "meta/instanceID": f"uuid:{root}",
        "_xform_id_string": "tracker_report",
        "_uuid": root,
        "_attachments": [],
        "_status": "submitted_via_web",
        "_geolocation": [None, None],
        "_submission_time": "2026-11-22T08:21:00",
        "_tags": [],
        "_notes": [],
        "_submitted_by": None,
    }
    payload.update(fields)
    return payload


def _reports(db):
    from tracker.intake.models import Report

    return db.session.scalars(sa.select(Report)).all()


def test_kobo_posts_are_filed_once_per_root_uuid(client, device, db):
    partner, token = device
    root = str(uuid.uuid4())
    resp = client.post(f"/kobo/{token}/submission", json=kobo_payload(root))
    assert resp.status_code == 201, resp.get_json()
    receipt = resp.get_json()["receipt"]
    report = _reports(db)[0]
    assert report.filed_by_org_id == partner.organisation_id
    assert report.category_codes == ["arbitrary_detention"] and report.detained == 3
    assert report.occurred_precision == "month" and report.region.pcode == "XV02"

    # Kobo retries the same post, then the submission is edited in Kobo:
    # a new instanceID, the same root UUID. Neither files a second report.
    again = client.post(f"/kobo/{token}/submission", json=kobo_payload(root))
    assert again.status_code == 200 and again.get_json()["receipt"] == receipt
    edited = kobo_payload(root, **{"meta/instanceID": f"uuid:{uuid.uuid4()}", "meta/rootUuid": f"uuid:{root}",
                                   "meta/deprecatedID": f"uuid:{root}", "harm_detained": "4"})
    assert client.post(f"/kobo/{token}/submission", json=edited).status_code == 200
    assert len(_reports(db)) == 1

    other = client.post(f"/kobo/{token}/submission", json=kobo_payload(str(uuid.uuid4())))
    assert other.status_code == 201
    assert len(_reports(db)) == 2


def test_kobo_needs_a_valid_token_and_a_valid_report(client, device, db):
    _partner, token = device
    assert client.post("/kobo/dev_nope/submission", json=kobo_payload(str(uuid.uuid4()))).status_code == 401
    bad = client.post(f"/kobo/{token}/submission", json=kobo_payload(str(uuid.uuid4()), region="", province=""))
    assert bad.status_code == 400 and "region" in bad.get_json()["errors"]
    assert client.post(f"/kobo/{token}/submission", data="not json").status_code == 400
    assert _reports(db) == []
