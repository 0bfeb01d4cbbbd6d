"""The SMS/chat conversation: a short flow in the reporter's language that
ends with a report filed through intake and its receipt sent back.

Flow (DESIGN §8b): a keyword in the reporter's language (REPORT, DENUNCIA,
SIGNALER, بلاغ …) or a language menu; a first message saying what the carrier
can see; then what happened (numbers), where (province, then district), when,
a few words, and whether we may send news to this number. A receipt texted at
any time returns the report's status and the officer's messages. STOP deletes
the conversation.

Nothing here keeps a phone number in clear: the conversation is found by a
keyed hash of gateway and number, its answers are encrypted, and it is
deleted when the report is filed, on STOP, or after
TRACKER_SMS_TIMEOUT_MINUTES of silence. The number is kept (encrypted, in
SmsContact) only when the reporter agrees to be contacted.

API::

    replies = handle_message(InboundMessage(gateway="twilio", sender="+34…", text="DENUNCIA", message_id="SM…"))
    db.session.commit()   # the caller commits, then sends the replies as its gateway expects
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import parse as parse_limit

from tracker.channels.models import SmsContact, SmsConversation
from tracker.channels.services import already_filed, file_submission
from tracker.core.crypto import keyed_hash
from tracker.core.db import utcnow
from tracker.extensions import db, limiter
from tracker.intake.models import Report
from tracker.intake.receipts import format_receipt, normalise_receipt
from tracker.intake.services import followup_view, lookup_report
from tracker.reference.models import CATEGORIES, Region

CONVERSATION_PURPOSE = "sms-conversation"
MAX_TEXT = 480
# The categories offered by SMS: a short menu (the web form has them all).
SMS_CATEGORIES = (
    "killing", "assault", "sexual_violence", "arbitrary_detention", "disappearance", "illegal_search",
    "threats", "property_destruction", "looting_extortion", "displacement", "other",
)
# Translators: the word a reporter texts to start a report by SMS (one word, capitals are ignored).
KEYWORD = _l("REPORT")
# Translators: the word a reporter texts to delete an SMS conversation (one word).
STOP_KEYWORD = _l("STOP")


@dataclass
class InboundMessage:
    gateway: str  # "twilio" | "rapidpro"
    sender: str  # the number (or whatsapp:+…) as the gateway gives it; never stored in clear
    text: str
    message_id: str | None = None


# --------------------------------------------------------------------------- helpers


def conversation_key(gateway: str, sender: str) -> str:
    return keyed_hash(f"{gateway}:{sender.strip()}", CONVERSATION_PURPOSE)


def _fold(text: str) -> str:
    """Lower case, no accents, no surrounding space: for keyword matching."""
    text = unicodedata.normalize("NFKD", text or "").strip().casefold()
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _numbers(text: str) -> list[int]:
    """Numbers in a reply, in any script's digits ("1 3", "١،٣", "1,3")."""
    digits = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else " " for ch in text or "")
    return [int(n) for n in digits.split() if len(n) <= 4]


def _timeout() -> timedelta:
    return timedelta(minutes=current_app.config.get("TRACKER_SMS_TIMEOUT_MINUTES", 30))


def purge_expired() -> int:
    """Delete conversations silent for longer than the timeout."""
    cutoff = utcnow() - _timeout()
    result = db.session.execute(sa.delete(SmsConversation).where(SmsConversation.updated_at < cutoff))
    return result.rowcount or 0


def _lookup_limit():
    return parse_limit(current_app.config.get("RATELIMIT_SMS_LOOKUP", "5 per hour"))


def _lookup_allowed(key: str) -> bool:
    """Wrong receipts texted from one number are limited (DESIGN §3: lookups
    are rate-limited), counted under the conversation's keyed hash, in the
    limiter's storage (memory or Redis), never under the number."""
    return limiter.limiter.test(_lookup_limit(), "sms-receipt-lookup", key)


def _count_failed_lookup(key: str) -> None:
    limiter.limiter.hit(_lookup_limit(), "sms-receipt-lookup", key)


def _languages() -> dict[str, str]:
    return dict(current_app.config["LANGUAGES"])


def _keyword_language(text: str) -> str | None:
    folded = _fold(text)
    for code in _languages():
        with force_locale(code):
            if folded == _fold(str(KEYWORD)):
                return code
    return None


def _is_stop(text: str, lang: str) -> bool:
    folded = _fold(text)
    with force_locale(lang):
        local = _fold(str(STOP_KEYWORD))
    return folded in (local, "stop")


def _language_menu() -> str:
    lines = [f"{n} {name}" for n, name in enumerate(_languages().values(), start=1)]
    return "\n".join(lines)


def _menu(pairs: list[tuple[int, str]]) -> str:
    return "\n".join(f"{n} {label}" for n, label in pairs)


def _provinces() -> list[Region]:
    return list(db.session.scalars(sa.select(Region).where(Region.level == 1).order_by(Region.pcode)))


# --------------------------------------------------------------------------- questions


def _notice() -> str:
    return _(
        "Your phone company can see this number, when you write and what the messages say. "
        "Do not send names. Send %(stop)s at any time to delete this conversation.",
        stop=str(STOP_KEYWORD),
    )


def _ask_what() -> str:
    menu = _menu([(n, str(CATEGORIES[code])) for n, code in enumerate(SMS_CATEGORIES, start=1)])
    return _("What happened? Reply with one or more numbers:") + "\n" + menu


def _ask_where(lang: str) -> str:
    menu = _menu([(n, p.name(lang)) for n, p in enumerate(_provinces(), start=1)])
    return _("Where did it happen? Reply with a number:") + "\n" + menu


def _ask_district(province: Region, lang: str) -> str:
    menu = _menu([(n, d.name(lang)) for n, d in enumerate(province.children, start=1)])
    return _("Which district? Reply with a number, or 0 if you are not sure:") + "\n" + menu


def _ask_when() -> str:
    return _("When did it happen? Reply 1 for today, 2 for yesterday, or the date as 2026-03-14, or the month as 2026-03.")


def _ask_words() -> str:
    return _("In a few words, what happened? No names, please. Reply 0 to skip.")


def _ask_consent() -> str:
    return _("May we send you news about your report by message to this number? Reply 1 for yes, 2 for no.")


def _not_understood(question: str) -> str:
    return _("Sorry, I did not understand.") + "\n" + question


# --------------------------------------------------------------------------- follow-up by receipt


def status_replies(report, lang: str) -> list[str]:
    """The status of a report and the officer's messages, as messages."""
    view = followup_view(report, lang)
    with force_locale(lang):
        out = [_("Status of your report: %(status)s.", status=view["status_label"])]
        officer = [m for m in view["messages"] if m["from"] == "officer"]
        for message in officer[-3:]:
            out.append(_("Message from the officer (%(date)s): %(body)s", date=message["sent_on"], body=message["body"]))
        if not officer:
            out.append(_("No message from the officer yet."))
    return out


# --------------------------------------------------------------------------- the flow


def handle_message(msg: InboundMessage) -> list[str]:
    """Answer one inbound message; returns the replies to send back, in
    order. Flushes; the caller commits."""
    purge_expired()
    text = (msg.text or "").strip()[:MAX_TEXT]
    key = conversation_key(msg.gateway, msg.sender)
    filed = already_filed("sms", _message_key(msg))
    if filed is not None:  # the gateway resent the message that filed a report
        report = db.session.get(Report, filed.report_id)
        with force_locale(report.language if report else current_app.config["BABEL_DEFAULT_LOCALE"]):
            return [_receipt_message(filed.receipt)]
    convo = db.session.get(SmsConversation, key)

    receipt = normalise_receipt(text)
    if receipt is not None and (convo is None or convo.step != "words"):
        lang = convo.language if convo is not None else None
        if not _lookup_allowed(key):
            with force_locale(lang or current_app.config["BABEL_DEFAULT_LOCALE"]):
                return [_("Too many wrong receipt codes from this number. Please try again later.")]
        report = lookup_report(receipt)
        if report is None:
            _count_failed_lookup(key)
            with force_locale(lang or current_app.config["BABEL_DEFAULT_LOCALE"]):
                return [_("This receipt code is not known. Please check the 16 digits.")]
        return status_replies(report, lang or report.language)

    if convo is None:
        lang = _keyword_language(text)
        if lang is None:
            convo = SmsConversation(key_hash=key, step="language", language=current_app.config["BABEL_DEFAULT_LOCALE"])
            convo.state = {}
            db.session.add(convo)
            db.session.flush()
            return [_language_menu()]
        return _start(key, lang)

    convo.updated_at = utcnow()
    if convo.step == "language":
        return _choose_language(convo, text)
    # (flask_babel's force_locale does not nest: each block below is flat.)
    if _is_stop(text, convo.language):
        db.session.delete(convo)
        db.session.flush()
        with force_locale(convo.language):
            return [_("The conversation is deleted. Nothing was filed.")]
    with force_locale(convo.language):
        return _step(convo, msg, text)


def _choose_language(convo: SmsConversation, text: str) -> list[str]:
    numbers = _numbers(text)
    codes = list(_languages())
    chosen = _keyword_language(text)
    if chosen is None and numbers and 1 <= numbers[0] <= len(codes):
        chosen = codes[numbers[0] - 1]
    if chosen is None:
        return [_language_menu()]
    return _start(convo.key_hash, chosen)


def _start(key: str, lang: str) -> list[str]:
    convo = db.session.get(SmsConversation, key)
    if convo is None:
        convo = SmsConversation(key_hash=key)
        db.session.add(convo)
    convo.language, convo.step, convo.updated_at = lang, "what", utcnow()
    convo.state = {}
    db.session.flush()
    with force_locale(lang):
        return [_notice(), _ask_what()]


def _step(convo: SmsConversation, msg: InboundMessage, text: str) -> list[str]:
    lang, state = convo.language, convo.state
    step = convo.step

    if step == "what":
        picked = [SMS_CATEGORIES[n - 1] for n in _numbers(text) if 1 <= n <= len(SMS_CATEGORIES)]
        if not picked:
            return [_not_understood(_ask_what())]
        state["categories"] = list(dict.fromkeys(picked))
        return _advance(convo, state, "where", _ask_where(lang))

    if step == "where":
        provinces = _provinces()
        numbers = _numbers(text)
        if not numbers or not 1 <= numbers[0] <= len(provinces):
            return [_not_understood(_ask_where(lang))]
        province = provinces[numbers[0] - 1]
        state["province"] = province.pcode
        if not province.children:
            state["region"] = province.pcode
            return _advance(convo, state, "when", _ask_when())
        return _advance(convo, state, "district", _ask_district(province, lang))

    if step == "district":
        province = db.session.scalar(sa.select(Region).where(Region.pcode == state.get("province")))
        numbers = _numbers(text)
        districts = province.children if province is not None else []
        if province is None or not numbers or not 0 <= numbers[0] <= len(districts):
            return [_not_understood(_ask_district(province, lang) if province else _ask_where(lang))]
        state["region"] = province.pcode if numbers[0] == 0 else districts[numbers[0] - 1].pcode
        return _advance(convo, state, "when", _ask_when())

    if step == "when":
        when = _parse_when(text)
        if when is None:
            return [_not_understood(_ask_when())]
        state["occurred_on"], state["occurred_on_precision"] = when
        return _advance(convo, state, "words", _ask_words())

    if step == "words":
        state["narrative"] = None if _numbers(text) == [0] and text.strip() in ("0", "٠", "۰") else text
        return _advance(convo, state, "consent", _ask_consent())

    if step == "consent":
        numbers = _numbers(text)
        if not numbers or numbers[0] not in (1, 2):
            return [_not_understood(_ask_consent())]
        return _finish(convo, state, msg, consent=numbers[0] == 1)

    db.session.delete(convo)  # an unknown step (older version): start over
    db.session.flush()
    return [_language_menu()]


def _advance(convo: SmsConversation, state: dict, step: str, question: str) -> list[str]:
    convo.state = state
    convo.step = step
    db.session.flush()
    return [question]


_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


def _parse_when(text: str) -> tuple[str, str] | None:
    """(date, precision) from "1" (today), "2" (yesterday), YYYY-MM-DD or
    YYYY-MM, in any script's digits; the schema checks the range."""
    cleaned = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text.strip())
    cleaned = cleaned.replace("/", "-").replace(".", "-")
    today = utcnow().date()
    if cleaned == "1":
        return today.isoformat(), "day"
    if cleaned == "2":
        return (today - timedelta(days=1)).isoformat(), "day"
    try:
        if _DAY_RE.match(cleaned):
            return date.fromisoformat(cleaned).isoformat(), "day"
        if _MONTH_RE.match(cleaned):
            return date.fromisoformat(cleaned + "-01").isoformat()[:7], "month"
    except ValueError:
        return None
    return None


def _finish(convo: SmsConversation, state: dict, msg: InboundMessage, *, consent: bool) -> list[str]:
    """File the report through intake; send the receipt; forget the
    conversation. The number is kept (encrypted) only with consent."""
    lang = convo.language
    raw = {
        "categories": state.get("categories"),
        "region": state.get("region"),
        "occurred_on": state.get("occurred_on"),
        "occurred_on_precision": state.get("occurred_on_precision"),
        "narrative": state.get("narrative"),
        "consent": {"contact": consent},
        "contact": {"phone": _plain_number(msg.sender)} if consent else None,
        "language": lang,
    }
    key = _message_key(msg)
    previous = already_filed("sms", key)
    outcome = file_submission(raw, channel="sms", key=key)
    if not outcome.ok:
        db.session.delete(convo)
        db.session.flush()
        problem = " ".join(str(v) for v in outcome.errors.values())
        return [_("Sorry, the report could not be filed: %(problem)s Send %(keyword)s to start again.",
                  problem=problem, keyword=str(KEYWORD))]
    if consent and previous is None and outcome.created:
        contact = SmsContact(report_id=outcome.report.id, gateway=msg.gateway, language=lang)
        contact.number = msg.sender.strip()
        db.session.add(contact)
    db.session.delete(convo)
    db.session.flush()
    return [_receipt_message(outcome.receipt)]


def _receipt_message(receipt: str) -> str:
    return _("Thank you, your report is filed. Your receipt: %(receipt)s. Keep it safe; send it to this number "
             "at any time to get news.", receipt=format_receipt(receipt))


def _message_key(msg: InboundMessage) -> str | None:
    return f"{msg.gateway}:{msg.message_id}" if msg.message_id else None


def _plain_number(sender: str) -> str:
    """The phone number without the gateway's channel prefix (whatsapp:, tel:)."""
    return sender.split(":", 1)[1] if ":" in sender else sender
