"""Commander responses ("you said, we did"): the one place their status
changes (draft → submitted → approved | returned → submitted …).

A commander writes about their own force only; a supervisor of an
oversight body that oversees the force (a routing rule names the force, or
any force) approves or returns it with a note. Each move is audited in the
same transaction; the caller commits. Approved responses are public.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.audit.service import record
from tracker.core.db import utcnow
from tracker.core.i18n import localized
from tracker.extensions import db
from tracker.metrics.anonymise import period_label, period_start
from tracker.metrics.models import CommanderResponse

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


# --------------------------------------------------------------------------- permissions


def bodies_overseeing(force_id: int) -> set[int]:
    from tracker.reference.models import RoutingRule

    rows = db.session.execute(
        sa.select(RoutingRule.body_id).where(sa.or_(RoutingRule.force_id == force_id, RoutingRule.force_id.is_(None)))
    )
    return {r[0] for r in rows}


def _role(user) -> str | None:
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def can_view_trends(user) -> bool:
    """Commanders (their force) and oversight supervisors (every force,
    to review responses in context). Never admins, officers or partners."""
    return _role(user) in ("commander", "supervisor") and (
        user.role != "commander" or user.force_id is not None
    )


def can_write_response(user, force_id: int | None = None) -> bool:
    """Only a commander, and only for their own force."""
    return _role(user) == "commander" and user.force_id is not None and (force_id is None or force_id == user.force_id)


def can_edit_response(user, resp: CommanderResponse) -> bool:
    return can_write_response(user, resp.force_id) and resp.status in ("draft", "returned")


def can_view_response(user, resp: CommanderResponse) -> bool:
    if _role(user) == "commander":
        return user.force_id == resp.force_id
    return can_review_response(user, resp) or (_role(user) == "supervisor" and resp.status != "draft")


def can_review_response(user, resp: CommanderResponse) -> bool:
    """A supervisor of a body that oversees the response's force."""
    return (
        _role(user) == "supervisor"
        and user.body_id is not None
        and user.body_id in bodies_overseeing(resp.force_id)
    )


# --------------------------------------------------------------------------- operations


def _clean_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ResponseError(_("Write what was done."), "text")
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
    if region_id is not None:
        from tracker.reference.models import Region

        if db.session.get(Region, region_id) is None:
            region_id = None  # a stale link: the response is about the whole force
    if unit_id is not None:
        from tracker.reference.models import Unit

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


# --------------------------------------------------------------------------- lists


def responses_for(user) -> list[CommanderResponse]:
    """Commanders: their force's responses. Supervisors: those waiting for
    them, then the ones they can review."""
    q = sa.select(CommanderResponse).order_by(CommanderResponse.updated_at.desc(), CommanderResponse.id.desc())
    if _role(user) == "commander":
        return list(db.session.scalars(q.where(CommanderResponse.force_id == user.force_id)))
    if _role(user) == "supervisor":
        rows = db.session.scalars(q.where(CommanderResponse.status != "draft"))
        return [r for r in rows if can_review_response(user, r)]
    return []


def pending_review_count(user) -> int:
    """Responses waiting for this supervisor's decision (0 for others)."""
    if _role(user) != "supervisor":
        return 0
    return sum(1 for r in responses_for(user) if r.status == "submitted")


def public_responses(limit: int = 20) -> list[dict]:
    """Approved responses as plain, public data: force, month, province
    (never a district), the text as written and its language."""
    rows = db.session.scalars(
        sa.select(CommanderResponse)
        .where(CommanderResponse.status == "approved")
        .order_by(CommanderResponse.reviewed_at.desc(), CommanderResponse.id.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        province = r.region.at_level(1) if r.region is not None else None
        out.append(
            {
                "force": localized(r.force.names) if r.force else "",
                "period": period_label(period_start(r.period_start, "month"), "month"),
                "region": localized(province.names) if province is not None and province.level >= 1 else "",
                "text": r.text,
                "language": r.language,
                "approved": period_label(period_start(r.reviewed_at.date(), "month"), "month") if r.reviewed_at else "",
            }
        )
    return out
