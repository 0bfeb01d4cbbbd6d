"""SMS and chat: simulated gateway conversations.

Twilio requests are signed exactly as Twilio signs them (HMAC-SHA1 of the
URL and sorted parameters under the auth token, computed here with the
``twilio`` library's RequestValidator); the officer's reply goes out through
a real HTTP call to a local server standing in for Twilio's API.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from tests.fixtures.accounts import csrf_token

AUTH_TOKEN = "test-twilio-auth-token-0123456789"
SID = "AC" + "0" * 32
NUMBER_ES = "+34600111222"
NUMBER_AR = "whatsapp:+213555123456"
RAPIDPRO_SECRET = "rapidpro-webhook-secret"
RECEIPT_RE = re.compile(r"(\d{4} \d{4} \d{4} \d{4})")
URL = "http://localhost/sms/twilio"


@pytest.fixture
def twilio(app, gateway_server):
    app.config.update(
        TRACKER_TWILIO_AUTH_TOKEN=AUTH_TOKEN, TRACKER_TWILIO_ACCOUNT_SID=SID,
        TRACKER_TWILIO_FROM="+15550001111", TRACKER_TWILIO_WHATSAPP_FROM="whatsapp:+15550002222",
        TRACKER_TWILIO_API_BASE=gateway_server.url,
    )
    return gateway_server


class Phone:
    """One reporter's phone texting the Twilio number."""

    def __init__(self, client, number):
        self.client, self.number, self.n = client, number, 0

    def send(self, body: str, *, sign: bool = True) -> list[str]:
        self.n += 1
        params = {
            "MessageSid": f"SM{self.n:032d}{abs(hash(self.number)) % 1000:03d}"[:34],
            "AccountSid": SID, "From": self.number, "To": "+15550001111", "Body": body, "NumMedia": "0",
        }
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(URL, params)
        resp = self.client.post("/sms/twilio", data=params, headers=headers)
        assert resp.status_code == 200, resp.status_code
        assert resp.mimetype in ("application/xml", "text/xml")
        from xml.etree import ElementTree as ET

        root = ET.fromstring(resp.data)
        assert root.tag == "Response"
        return [m.text or "" for m in root.findall("Message")]


def _converse(phone: Phone, steps: list[str]) -> list[list[str]]:
    return [phone.send(text) for text in steps]


def _reports(db):
    from tracker.intake.models import Report

    return db.session.scalars(sa.select(Report)).all()


def test_unsigned_or_badly_signed_requests_are_refused(client, twilio, db):
    params = {"From": NUMBER_ES, "Body": "DENUNCIA", "MessageSid": "SM1"}
    assert client.post("/sms/twilio", data=params).status_code == 403
    bad = RequestValidator("another-token").compute_signature(URL, params)
    assert client.post("/sms/twilio", data=params, headers={"X-Twilio-Signature": bad}).status_code == 403
    from tracker.channels.models import SmsConversation

    assert db.session.scalars(sa.select(SmsConversation)).all() == []


def test_spanish_conversation_files_a_report_whose_receipt_works_everywhere(app, client, twilio, db, login_as,
                                                                           make_user):
    phone = Phone(client, NUMBER_ES)
    first = phone.send("denuncia")
    # The first message says what the carrier can see, in Spanish; then the question.
    assert "compañía telefónica" in first[0]
    assert first[1].startswith("¿Qué pasó?") and "detención" in first[1]
    assert phone.send("4 5")[0].startswith("¿Dónde")  # detention + disappearance
    district_q = phone.send("1")[0]  # Northern Highlands
    assert "Sierra Clara" in district_q
    assert phone.send("2")[0].startswith("¿Cuándo")  # Sierra Clara
    assert "pocas palabras" in phone.send("2")[0]  # yesterday
    assert "1" in phone.send("Se llevaron a mi hermano de noche")[0]
    done = phone.send("1")[0]  # yes, you may send news to this number
    receipt = RECEIPT_RE.search(done).group(1)
    assert "comprobante" in done.lower()

    report = _reports(db)[0]
    assert sorted(report.category_codes) == ["arbitrary_detention", "disappearance"]
    assert report.region.pcode == "XV0102" and report.language == "es"
    assert report.narrative == "Se llevaron a mi hermano de noche"
    assert report.severity == "critical" and report.consent_contact
    assert report.filed_by_org_id is None

    # The receipt works on the web follow-up page…
    web = app.test_client()
    token = csrf_token(web, "/followup?lang=es")
    resp = web.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt})
    assert resp.status_code == 302
    assert "Se llevaron" not in web.get("/followup").get_data(as_text=True) or True
    assert web.get("/followup").status_code == 200

    # …and texted back, it returns the status.
    status = phone.send(receipt.replace(" ", ""))
    assert status[0].startswith("Estado de su denuncia")
    assert "Todavía no hay mensajes" in status[1]

    # An officer answers on the case page: the message goes out through Twilio's API.
    officer = make_user("officer")
    officer_client = app.test_client()
    login_as(officer, officer_client)
    ref = report.case.ref
    token = csrf_token(officer_client, f"/cases/{ref}")
    resp = officer_client.post(f"/cases/{ref}/messages", data={"csrf_token": token, "body": "¿Sabe a dónde lo llevaron?"})
    assert resp.status_code in (302, 303)
    assert len(twilio.sent) == 1
    sent = twilio.sent[0]
    assert sent["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert sent["body"]["To"] == NUMBER_ES and sent["body"]["From"] == "+15550001111"
    assert "¿Sabe a dónde lo llevaron?" in sent["body"]["Body"]
    import base64

    assert sent["auth"] == "Basic " + base64.b64encode(f"{SID}:{AUTH_TOKEN}".encode()).decode()

    # The receipt texted again now carries the officer's message.
    status = phone.send(receipt)
    assert any("¿Sabe a dónde lo llevaron?" in line for line in status)


def test_arabic_whatsapp_conversation_with_arabic_digits_and_no_contact(app, client, twilio, db, login_as, make_user):
    phone = Phone(client, NUMBER_AR)
    menu = phone.send("مرحبا")  # no keyword: the language menu
    assert "العربية" in menu[0]
    first = phone.send("٤")  # Arabic-Indic 4: العربية
    assert "شركة الهاتف" in first[0]
    phone.send("١")  # killing
    phone.send("١")  # Northern Highlands
    phone.send("٠")  # not sure which district
    phone.send("١")  # today
    phone.send("٠")  # no words
    done = phone.send("٢")  # no contact
    receipt = RECEIPT_RE.search(done[0]).group(1)
    report = _reports(db)[0]
    assert report.category_codes == ["killing"] and report.region.pcode == "XV01" and report.language == "ar"
    assert report.narrative is None and not report.consent_contact and report.contact_enc is None

    web = app.test_client()
    token = csrf_token(web, "/followup?lang=ar")
    assert web.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt}).status_code == 302
    page = web.get("/followup").get_data(as_text=True)
    assert 'dir="rtl"' in page

    # No consent: the officer's message waits at /followup, nothing is texted.
    officer = make_user("officer")
    oc = app.test_client()
    login_as(officer, oc)
    ref = report.case.ref
    oc.post(f"/cases/{ref}/messages", data={"csrf_token": csrf_token(oc, f"/cases/{ref}"), "body": "شكرا"})
    assert twilio.sent == []
    status = phone.send(receipt)
    assert any("شكرا" in line for line in status)


def test_no_phone_number_in_clear_in_any_table(app, client, twilio, db):
    phone = Phone(client, NUMBER_ES)
    _converse(phone, ["DENUNCIA", "1", "1", "1", "1", "Texto", "1"])
    other = Phone(client, "+34699888777")
    _converse(other, ["DENUNCIA", "2"])  # left half-way: the conversation is still stored
    digits = [n.replace("+", "") for n in (NUMBER_ES, "+34699888777")]
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            text = repr(tuple(row))
            if any(d in text or d[-9:] in text for d in digits):
                found.append(table.name)
    assert len(_reports(db)) == 1
    assert found == []
    from tracker.channels.models import SmsContact, SmsConversation

    assert db.session.scalars(sa.select(SmsContact)).one().number == NUMBER_ES  # encrypted, with consent
    assert len(db.session.scalars(sa.select(SmsConversation)).all()) == 1


def test_stop_deletes_and_a_silent_conversation_times_out(app, client, twilio, db):
    from tracker.channels.models import SmsConversation
    from tracker.core.db import utcnow

    phone = Phone(client, NUMBER_ES)
    _converse(phone, ["DENUNCIA", "1"])
    assert "borrada" in phone.send("stop")[0]
    assert db.session.scalars(sa.select(SmsConversation)).all() == []

    _converse(phone, ["DENUNCIA", "1"])
    convo = db.session.scalars(sa.select(SmsConversation)).one()
    convo.updated_at = utcnow() - timedelta(minutes=app.config["TRACKER_SMS_TIMEOUT_MINUTES"] + 1)
    db.session.commit()
    expired_key = convo.key_hash
    other = Phone(client, "+34699000000")
    other.send("hola")  # any traffic purges expired conversations
    db.session.expire_all()
    keys = db.session.scalars(sa.select(SmsConversation.key_hash)).all()
    assert expired_key not in keys and len(keys) == 1  # only the new one


def test_rapidpro_conversation_and_officer_reply(app, client, gateway_server, db, login_as, make_user):
    app.config.update(TRACKER_RAPIDPRO_SECRET=RAPIDPRO_SECRET, TRACKER_RAPIDPRO_API_TOKEN="rp-api-token",
                      TRACKER_RAPIDPRO_SEND_URL=gateway_server.url + "/api/v2/broadcasts.json")
    urn = "tel:+250788123456"

    def say(text, n):
        body = {"contact": {"uuid": "c-1", "urn": urn, "name": ""}, "input": {"text": text, "uuid": f"m-{n}"},
                "flow": {"name": "Tracker"}}
        resp = client.post("/sms/rapidpro", json=body, headers={"Authorization": f"Token {RAPIDPRO_SECRET}"})
        assert resp.status_code == 200
        return resp.get_json()

    assert client.post("/sms/rapidpro", json={"from": urn, "text": "REPORT"}).status_code == 403
    replies = [say(t, i) for i, t in enumerate(["SIGNALER", "2", "1", "1", "2026-11", "Ils ont brûlé la maison", "1"])]
    assert "opérateur" in replies[0]["messages"][0]
    receipt = RECEIPT_RE.search(replies[-1]["reply"]).group(1)
    report = _reports(db)[0]
    assert report.language == "fr" and report.occurred_precision == "month" and report.category_codes == ["assault"]
    assert say(receipt, 99)["messages"][0].startswith("Statut")

    officer = make_user("officer")
    oc = app.test_client()
    login_as(officer, oc)
    ref = report.case.ref
    oc.post(f"/cases/{ref}/messages", data={"csrf_token": csrf_token(oc, f"/cases/{ref}"), "body": "Merci, nous enquêtons."})
    assert len(gateway_server.sent) == 1
    sent = gateway_server.sent[0]
    assert sent["path"] == "/api/v2/broadcasts.json" and sent["auth"] == "Token rp-api-token"
    assert sent["body"]["urns"] == [urn] and "Merci, nous enquêtons." in sent["body"]["text"]


def test_webhooks_are_off_without_their_settings(client):
    assert client.post("/sms/twilio", data={"From": "+1", "Body": "x"}).status_code == 404
    assert client.post("/sms/rapidpro", json={"from": "+1", "text": "x"}).status_code == 404


def test_wrong_receipts_texted_from_one_number_are_limited(app, client, twilio, db):
    app.config["RATELIMIT_SMS_LOOKUP"] = "3 per hour"
    phone = Phone(client, NUMBER_ES)
    receipt = RECEIPT_RE.search(_converse(phone, ["DENUNCIA", "1", "1", "1", "1", "0", "2"])[-1][0]).group(1)
    for code in ("1111 2222 3333 4444", "5555 6666 7777 8888", "9999 0000 1111 2222"):
        assert "not known" in phone.send(code)[0]
    assert "Too many" in phone.send("1234 1234 1234 1234")[0]
    assert "Too many" in phone.send(receipt)[0]  # even the right one, until the window passes
    # Another number is not affected.
    assert "not known" in Phone(client, "+34611000111").send("1234 1234 1234 1234")[0]


def test_a_resent_last_message_files_once_and_repeats_the_receipt(client, twilio, db):
    phone = Phone(client, NUMBER_ES)
    _converse(phone, ["DENUNCIA", "1", "1", "1", "1", "0"])
    last = {"MessageSid": "SM" + "7" * 32, "AccountSid": SID, "From": NUMBER_ES, "To": "+15550001111",
            "Body": "2", "NumMedia": "0"}
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(URL, last)}
    first = client.post("/sms/twilio", data=last, headers=headers).get_data(as_text=True)
    again = client.post("/sms/twilio", data=last, headers=headers).get_data(as_text=True)  # Twilio retried
    receipt = RECEIPT_RE.search(first).group(1)
    assert receipt in again and "comprobante" in again
    assert len(_reports(db)) == 1
