"""Commander responses ("you said, we did"): the one place their status
changes (draft → submitted → approved | returned → submitted …).

A commander writes about their own force only; a supervisor of an
oversight body that oversees the force (a routing rule names the force, or
any force) approves or returns it with a note. Each move is audited in the
same transaction; the caller commits. Approved responses are public, and only
they can be translated (by such a supervisor, audited, one translation
per language).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from tracker.audit.service import record
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.metrics.anonymise import period_start
from tracker.reference.models import Region, Unit
from tracker.responses.models import CommanderResponse, ResponseTranslation
from tracker.responses.permissions import can_edit_response, can_review_response, can_translate_response, can_write_response

MAX_TEXT = 4000
#: status → {action: next status}
MOVES = {
    "draft": {"submit": "submitted"},
    "returned": {"submit": "submitted"},
    "submitted": {"approve": "approved", "return": "returned"},
    "approved": {},
}


class ResponseError(Exception):
    """A refused change; ``message`` is translated, ``field`` names the
    form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


# --------------------------------------------------------------------------- operations


def _clean_text(text: str | None, empty_message: str | None = None) -> str:
    text = (text or "").strip()
    if not text:
        raise ResponseError(empty_message or _("Write what was done."), "text")
    if len(text) > MAX_TEXT:
        raise ResponseError(_("Keep it under %(n)s characters.", n=MAX_TEXT), "text")
    return text


def save_draft(
    user,
    *,
    text: str,
    grain: str = "month",
    period: date,
    region_id: int | None = None,
    unit_id: int | None = None,
    alert_key: str | None = None,
    language: str = "en",
    response: CommanderResponse | None = None,
) -> CommanderResponse:
    """Create or update a draft (or a returned response) of the user's force."""
    if response is None:
        if not can_write_response(user):
            raise ResponseError(_("Only a commander can write a response."))
    elif not can_edit_response(user, response):
        raise ResponseError(_("This response can no longer be changed."))
    if grain not in ("week", "month"):
        raise ResponseError(_("Choose a period."), "period")
    if region_id is not None and db.session.get(Region, region_id) is None:
        region_id = None  # a stale link: the response is about the whole force
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.force_id != user.force_id:
            raise ResponseError(_("Choose one of your force's units."), "unit")
    text = _clean_text(text)
    if response is None:
        response = CommanderResponse(force_id=user.force_id, author_id=user.id, status="draft")
        db.session.add(response)
    response.text = text
    response.grain = grain
    response.period_start = period_start(period, grain)
    response.region_id = region_id
    response.unit_id = unit_id
    response.alert_key = (alert_key or None) and alert_key[:120]
    response.language = language
    response.updated_at = utcnow()
    db.session.flush()
    return response


def _move(user, resp: CommanderResponse, action: str, note: str | None = None) -> CommanderResponse:
    nxt = MOVES.get(resp.status, {}).get(action)
    if nxt is None:
        raise ResponseError(_("This response cannot be changed that way now."))
    if action == "submit" and not can_edit_response(user, resp):
        raise ResponseError(_("Only a commander of this force can submit it."))
    if action in ("approve", "return") and not can_review_response(user, resp):
        raise ResponseError(_("Only a supervisor of the oversight body can review it."))
    if action == "return":
        note = (note or "").strip()
        if not note:
            raise ResponseError(_("Say what should change."), "note")
    now = utcnow()
    resp.status = nxt
    resp.updated_at = now
    if action == "submit":
        resp.submitted_at = now
    else:
        resp.reviewer_id = user.id
        resp.reviewed_at = now
        resp.review_note = (note or "").strip() or None
    record(
        f"response.{ {'submit': 'submitted', 'approve': 'approved', 'return': 'returned'}[action] }",
        actor=user,
        body_id=getattr(user, "body_id", None),
        object_type="commander_response",
        object_id=resp.id,
        data={"force_id": resp.force_id, "status": nxt, "alert_key": resp.alert_key},
    )
    db.session.flush()
    return resp


def submit(user, resp: CommanderResponse) -> CommanderResponse:
    """Commander sends the response for approval."""
    return _move(user, resp, "submit")


def approve(user, resp: CommanderResponse, note: str | None = None) -> CommanderResponse:
    """Supervisor approves: the response becomes public."""
    return _move(user, resp, "approve", note)


def return_for_changes(user, resp: CommanderResponse, note: str) -> CommanderResponse:
    """Supervisor returns it to the commander with a note (required)."""
    return _move(user, resp, "return", note)




def add_translation(user, resp: CommanderResponse, *, language: str, text: str,
                    languages: dict[str, str]) -> ResponseTranslation:
    """A supervisor who may review ``resp`` adds (or corrects) its translation
    into ``language``, one of the shipped ``languages`` other than the one it
    was written in. One translation per language: a second one replaces the
    first. Audited in the same transaction; the caller commits."""
    if not can_translate_response(user, resp):
        raise ResponseError(_("Only a supervisor of the oversight body can translate an approved response."))
    if language not in languages:
        raise ResponseError(_("Choose a language from the list."), "language")
    if language == resp.language:
        raise ResponseError(_("The response was written in this language: choose another one."), "language")
    text = _clean_text(text, _("Write the translation."))
    translation = resp.translation(language)
    replaced = translation is not None
    if translation is None:
        translation = ResponseTranslation(response=resp, language=language)
        db.session.add(translation)
    translation.text = text
    translation.translator_id = user.id
    translation.updated_at = utcnow()
    db.session.flush()
    record(
        "response.translated",
        actor=user,
        body_id=getattr(user, "body_id", None),
        object_type="commander_response",
        object_id=resp.id,
        data={"force_id": resp.force_id, "language": language, "replaced": replaced},
    )
    db.session.flush()
    return translation
