"""SMS/chat gateways: checking inbound webhooks, answering them as each
gateway expects, and sending messages out (officers' messages to an SMS
reporter who agreed to be contacted).

Twilio (SMS and WhatsApp): the webhook's X-Twilio-Signature is checked with
the ``twilio`` library's RequestValidator and TRACKER_TWILIO_AUTH_TOKEN; the
answer is TwiML; messages go out through Twilio's Messages API
(TRACKER_TWILIO_ACCOUNT_SID, TRACKER_TWILIO_FROM, and for WhatsApp
TRACKER_TWILIO_WHATSAPP_FROM). RapidPro/TextIt: a JSON webhook authenticated
by TRACKER_RAPIDPRO_SECRET (``Authorization: Token …``); the answer is JSON;
messages go out through RapidPro's broadcasts API (TRACKER_RAPIDPRO_SEND_URL,
TRACKER_RAPIDPRO_API_TOKEN). The API base URLs are settings so that tests
point them at a local stand-in server.

Officers' messages: a session listener notes every new officer message; once
the transaction commits, each one whose report has an SmsContact is sent to
that number through its gateway. A failure is logged (never the number or the
text) and does not fail the officer's request.
"""
from __future__ import annotations

import base64
import hmac
import json
import urllib.parse
import urllib.request

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from tracker.channels.logs import configure_log_redaction
from tracker.channels.models import SmsContact
from tracker.extensions import db
from tracker.intake.models import Message

_PENDING = "tracker_channels_outbox"
TIMEOUT_SECONDS = 10


class GatewayError(RuntimeError):
    """A gateway refused or could not be reached."""


# --------------------------------------------------------------------------- inbound


def twilio_configured() -> bool:
    return bool(current_app.config.get("TRACKER_TWILIO_AUTH_TOKEN"))


def twilio_signature_valid(url: str, params: dict, signature: str | None) -> bool:
    """Twilio's own check of X-Twilio-Signature (HMAC-SHA1 of the URL and the
    sorted POST parameters under the account's auth token)."""
    token = current_app.config.get("TRACKER_TWILIO_AUTH_TOKEN")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)


def twiml(replies: list[str]) -> str:
    response = MessagingResponse()
    for text in replies:
        response.message(text)
    return str(response)


def rapidpro_configured() -> bool:
    return bool(current_app.config.get("TRACKER_RAPIDPRO_SECRET"))


def rapidpro_authorised(header: str | None) -> bool:
    secret = current_app.config.get("TRACKER_RAPIDPRO_SECRET")
    if not secret or not header:
        return False
    scheme, _sep, value = header.partition(" ")
    return scheme.lower() == "token" and hmac.compare_digest(value.strip().encode(), secret.encode())


def rapidpro_inbound(payload) -> tuple[str, str, str | None] | None:
    """(sender, text, message id) from a RapidPro/TextIt webhook body: the
    flow webhook shape ({"contact": {"urn": "tel:+…"}, "input": {"text": …}})
    or the flat one ({"from": …, "text": …, "id": …}); None if neither."""
    if not isinstance(payload, dict):
        return None
    contact, given = payload.get("contact"), payload.get("input")
    if isinstance(contact, dict) and isinstance(given, dict):
        sender, text = contact.get("urn"), given.get("text")
        msg_id = given.get("uuid") or payload.get("id")
    else:
        sender, text, msg_id = payload.get("from"), payload.get("text"), payload.get("id")
    if not isinstance(sender, str) or not sender.strip() or not isinstance(text, str):
        return None
    return sender.strip()[:64], text, str(msg_id)[:100] if msg_id is not None else None


# --------------------------------------------------------------------------- outbound


def _post(url: str, data: bytes, headers: dict) -> None:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - configured https URL
            if response.status >= 300:
                raise GatewayError(f"gateway answered {response.status}")
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise GatewayError(type(exc).__name__) from exc


def send_twilio(number: str, text: str) -> None:
    cfg = current_app.config
    sid, token = cfg.get("TRACKER_TWILIO_ACCOUNT_SID"), cfg.get("TRACKER_TWILIO_AUTH_TOKEN")
    if not sid or not token:
        raise GatewayError("Twilio is not configured")
    whatsapp = number.startswith("whatsapp:")
    sender = cfg.get("TRACKER_TWILIO_WHATSAPP_FROM") if whatsapp else cfg.get("TRACKER_TWILIO_FROM")
    if not sender:
        raise GatewayError("no sending number configured")
    base = cfg.get("TRACKER_TWILIO_API_BASE") or "https://api.twilio.com"
    url = f"{base.rstrip('/')}/2010-04-01/Accounts/{urllib.parse.quote(sid)}/Messages.json"
    body = urllib.parse.urlencode({"From": sender, "To": number, "Body": text}).encode()
    auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
    _post(url, body, {"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded"})


def send_rapidpro(number: str, text: str) -> None:
    cfg = current_app.config
    url, token = cfg.get("TRACKER_RAPIDPRO_SEND_URL"), cfg.get("TRACKER_RAPIDPRO_API_TOKEN")
    if not url or not token:
        raise GatewayError("RapidPro is not configured")
    urn = number if ":" in number else f"tel:{number}"
    body = json.dumps({"urns": [urn], "text": text}).encode()
    _post(url, body, {"Authorization": f"Token {token}", "Content-Type": "application/json"})


SENDERS = {"twilio": send_twilio, "rapidpro": send_rapidpro}


def send(gateway: str, number: str, text: str) -> None:
    """Send one message through ``gateway``; raises GatewayError."""
    sender = SENDERS.get(gateway)
    if sender is None:
        raise GatewayError(f"unknown gateway {gateway}")
    sender(number, text)


def officer_message_text(body: str, lang: str) -> str:
    with force_locale(lang):
        return _("Message about your report: %(body)s (Send your receipt to this number to see the status.)", body=body)


def deliver_officer_message(session: Session, message_id: int) -> bool:
    """Send one officer message to the SMS reporter of its report, if they
    agreed to be contacted by message. True if it was sent."""
    message = session.get(Message, message_id)
    if message is None or message.sender != "officer":
        return False
    contact = session.get(SmsContact, message.report_id)
    if contact is None:
        return False
    send(contact.gateway, contact.number, officer_message_text(message.body, contact.language))
    return True


# --------------------------------------------------------------------------- wiring


def _after_flush(session, _context) -> None:
    for obj in session.new:
        if isinstance(obj, Message) and obj.sender == "officer" and obj.id is not None:
            session.info.setdefault(_PENDING, []).append(obj.id)


def _after_commit(session) -> None:
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    with Session(db.engine) as fresh:
        for message_id in dict.fromkeys(pending):
            try:
                deliver_officer_message(fresh, message_id)
            except Exception:  # noqa: BLE001 - a gateway problem must not fail the officer's request
                current_app.logger.warning("Could not deliver an officer message by SMS (message %s)", message_id)


def _after_soft_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def configure_gateways(app: Flask) -> None:
    """Listen for officer messages (registered once, from create_app), and
    keep device tokens out of the development server's log."""
    configure_log_redaction()
    if not sa.event.contains(db.session, "after_commit", _after_commit):
        sa.event.listen(db.session, "after_flush", _after_flush)
        sa.event.listen(db.session, "after_commit", _after_commit)
        sa.event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
