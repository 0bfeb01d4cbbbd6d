"""Reading commander responses: the lists commanders and supervisors work
from, and the approved ones as plain public data, each in the reader's
language when a supervisor translated it, otherwise as written."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from babel import Locale
from sqlalchemy.orm import selectinload

from tracker.core.i18n import localized
from tracker.extensions import db
from tracker.metrics.anonymise import period_label, period_start
from tracker.responses.models import CommanderResponse
from tracker.responses.permissions import can_review_response, role_of


@dataclass(frozen=True)
class Shown:
    """The text a reader gets. ``language`` is the language of ``text``;
    ``original`` the language it was written in (``original_name``: its
    name in the reader's language). ``translated`` when a supervisor's
    translation into the reader's language is shown; ``foreign`` when the
    original is shown to a reader of another language (the page says so)."""

    text: str
    language: str
    original: str
    original_name: str
    translated: bool
    foreign: bool


def language_name(code: str, reader: str) -> str:
    """The name of language ``code`` in the reader's language, from CLDR
    ("espagnol" for a French reader of "es")."""
    try:
        return Locale.parse(code).get_display_name(Locale.parse(reader)) or code
    except (ValueError, TypeError):
        return code


def shown_text(resp: CommanderResponse, reader: str) -> Shown:
    """The reader's own language when a translation exists, else the original."""
    name = language_name(resp.language, reader)
    translation = resp.translation(reader) if resp.language != reader else None
    if translation is not None:
        return Shown(translation.text, translation.language, resp.language, name, True, False)
    return Shown(resp.text, resp.language, resp.language, name, False, resp.language != reader)


def responses_for(user) -> list[CommanderResponse]:
    """Commanders: their force's responses. Supervisors: those they can
    review, once sent (waiting ones first in time order of change)."""
    q = (sa.select(CommanderResponse).options(selectinload(CommanderResponse.translations))
         .order_by(CommanderResponse.updated_at.desc(), CommanderResponse.id.desc()))
    if role_of(user) == "commander":
        return list(db.session.scalars(q.where(CommanderResponse.force_id == user.force_id)))
    if role_of(user) == "supervisor":
        rows = db.session.scalars(q.where(CommanderResponse.status != "draft"))
        return [r for r in rows if can_review_response(user, r)]
    return []


def pending_review_count(user) -> int:
    """Responses waiting for this supervisor's decision (0 for others)."""
    if role_of(user) != "supervisor":
        return 0
    return sum(1 for r in responses_for(user) if r.status == "submitted")


def public_responses(reader: str, limit: int = 20) -> list[dict]:
    """Approved responses as plain, public data: force, month, province
    (never a district), and the text in the reader's language when a
    translation exists, otherwise as written, with its language. Nothing
    that is not approved, and no translation of it, is ever returned."""
    rows = db.session.scalars(
        sa.select(CommanderResponse)
        .options(selectinload(CommanderResponse.translations))
        .where(CommanderResponse.status == "approved")
        .order_by(CommanderResponse.reviewed_at.desc(), CommanderResponse.id.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        province = r.region.at_level(1) if r.region is not None else None
        shown = shown_text(r, reader)
        out.append(
            {
                "force": localized(r.force.names) if r.force else "",
                "period": period_label(period_start(r.period_start, "month"), "month"),
                "region": localized(province.names) if province is not None and province.level >= 1 else "",
                "shown": shown,
                "text": shown.text,
                "language": shown.language,
                "approved": period_label(period_start(r.reviewed_at.date(), "month"), "month") if r.reviewed_at else "",
            }
        )
    return out
