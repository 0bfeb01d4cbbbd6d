"""A partner connects a device on /account: the page shows the server URL
once, as the QR code ODK Collect scans (zlib-compressed, base64 JSON
settings), and the device can then be disconnected from /account."""
from __future__ import annotations

import base64
import html
import json
import re
import zlib

import sqlalchemy as sa

from tests.fixtures.accounts import csrf_token


def _issue(client, name="Phone of Ana"):
    token = csrf_token(client, "/account")
    return client.post("/account/devices", data={"csrf_token": token, "dev-csrf_token": token, "dev-name": name})


def test_partner_connects_a_device_and_collect_can_use_it(app, client, login_as, db):
    login_as("partner")
    page = client.get("/account").get_data(as_text=True)
    assert 'id="devices"' in page and "/account/devices/form.xlsx" in page
    resp = _issue(client)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
    server_url = html.unescape(re.search(r'id="server-url"><bdi>([^<]+)</bdi>', page).group(1))
    assert re.fullmatch(r"http://localhost/openrosa/dev_[\w-]{40,}", server_url)
    assert "<svg" in page and "<path" in page  # the QR code, drawn inline (no third-party request)

    # What the QR code carries, as ODK Collect decodes it.
    from tracker.channels.views import odk_qr_payload, odk_settings

    payload = odk_qr_payload(odk_settings(server_url, "Tracker"))
    settings = json.loads(zlib.decompress(base64.b64decode(payload)))
    assert settings["general"]["server_url"] == server_url
    assert settings["general"]["username"] == "" and settings["project"]["name"] == "Tracker"

    path = server_url.split("localhost", 1)[1]
    device_client = app.test_client()
    assert device_client.get(path + "/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 200

    # The token is shown once: /account lists the device by name and prefix only.
    account = client.get("/account").get_data(as_text=True)
    assert "Phone of Ana" in account and path.rsplit("/", 1)[1] not in account
    from tracker.channels.models import DeviceToken

    device = db.session.scalars(sa.select(DeviceToken)).one()
    assert device.token_hash != path.rsplit("/", 1)[1]
    token = csrf_token(client, "/account")
    resp = client.post(f"/account/devices/{device.id}/revoke", data={"csrf_token": token, "devrev-csrf_token": token})
    assert resp.status_code == 302
    assert device_client.get(path + "/formList").status_code == 401


def test_only_partners_connect_devices_and_only_their_own(app, client, login_as, make_user, db):
    from tracker.channels.services import issue_device_token

    other = make_user("partner", email="other@example.org")
    device, _plain = issue_device_token(other, "not yours")
    db.session.commit()
    login_as("officer")
    assert _issue(client).status_code == 403
    c2 = app.test_client()
    login_as("partner", c2)
    token = csrf_token(c2, "/account")
    assert c2.post(f"/account/devices/{device.id}/revoke",
                   data={"csrf_token": token, "devrev-csrf_token": token}).status_code == 404
    db.session.refresh(device)
    assert device.revoked_at is None
