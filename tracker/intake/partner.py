"""Assisted intake, the partner's side: the reports an organisation filed.

DESIGN §1: a partner may see the reports their organisation filed and their
statuses, and follow up on them. These functions return plain data, already
scoped to one organisation; the caller checks the permission
(tracker.intake.permissions) and the ownership of a single report. They show
no contact details, narrative or place description: the list needs none,
and the partner follows up through the message thread.

API::

    page = list_filed_reports(org_id, status="new", after=None, lang="es")
    page.rows         # [FiledReportRow], newest first
    page.next_cursor  # pass as ``after`` for the next page, or None
    view = filed_report_view(report, lang="es", organisation_id=org_id)

"Has news" for a partner means that the oversight officer wrote last: a
question or an update waits for an answer from the reporter's side. It clears
as soon as anyone on that side (the community member with the receipt, or the
organisation) adds information. No extra state is stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from babel.dates import format_skeleton
from babel.lists import format_list
from flask_babel import force_locale

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.intake.models import Message, Report, ReportCategory
from tracker.intake.services import report_status
from tracker.intake.statuses import STATES
from tracker.reference.models import CATEGORIES, Region

PAGE_SIZE = 25


@dataclass
class FiledReportRow:
    id: int
    filed_on: date
    occurred_on: date
    occurred_month: str  # "March 2026" in the reader's language
    region: str
    categories: list[str]  # translated labels
    categories_text: str  # the labels as a list in the reader's language
    status: str
    status_label: str
    has_news: bool


@dataclass
class FiledReportsPage:
    rows: list[FiledReportRow] = field(default_factory=list)
    next_cursor: int | None = None


def _label(mapping: dict, code: str, lang: str | None) -> str:
    value = mapping.get(code, code)
    if lang:
        with force_locale(lang):
            return str(value)
    return str(value)


def _month(day: date, lang: str | None) -> str:
    return format_skeleton("yMMMM", day, locale=lang or "en")


def _list(labels: list[str], lang: str | None) -> str:
    return format_list(labels, locale=lang or "en") if labels else ""


def _case_state():
    """The ``state`` column of the case a report belongs to. Cases builds on
    intake, so intake reaches the case through the report's own
    relationship (``Report.case``) rather than by importing the model."""
    return sa.inspect(Report).relationships["case"].mapper.columns["state"]


def _status_expr():
    # A report always has a case (opened on intake); "new" if it has none yet.
    return sa.func.coalesce(_case_state(), "new")


def _officer_wrote_last(report_ids: list[int]) -> set[int]:
    """Report ids whose latest message comes from the oversight officer."""
    if not report_ids:
        return set()
    latest = (
        sa.select(Message.report_id, sa.func.max(Message.id).label("last_id"))
        .where(Message.report_id.in_(report_ids))
        .group_by(Message.report_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Message.report_id).join(latest, Message.id == latest.c.last_id).where(Message.sender == "officer")
    )
    return {r.report_id for r in rows}


def list_filed_reports(
    organisation_id: int,
    *,
    status: str | None = None,
    after: int | None = None,
    lang: str | None = None,
    page_size: int = PAGE_SIZE,
) -> FiledReportsPage:
    """The reports filed by ``organisation_id`` only (DESIGN §1), newest
    first, optionally of one case status, keyset-paginated: ``after`` is the
    id of the last report of the previous page (a cursor from another
    organisation, or an unknown one, starts from the top). Labels are in
    ``lang``. A constant number of queries per page."""
    stmt = (
        sa.select(Report.id, Report.created_at, Report.occurred_on, Report.region_id, _status_expr().label("status"))
        .outerjoin(Report.case)
        .where(Report.filed_by_org_id == organisation_id)
    )
    if status in STATES:
        stmt = stmt.where(_status_expr() == status)
    if after is not None:
        cursor = db.session.execute(
            sa.select(Report.created_at, Report.id).where(
                Report.id == after, Report.filed_by_org_id == organisation_id
            )
        ).first()
        if cursor is not None:
            stmt = stmt.where(
                sa.or_(
                    Report.created_at < cursor.created_at,
                    sa.and_(Report.created_at == cursor.created_at, Report.id < cursor.id),
                )
            )
    stmt = stmt.order_by(Report.created_at.desc(), Report.id.desc()).limit(page_size + 1)
    found = db.session.execute(stmt).all()
    more = len(found) > page_size
    found = found[:page_size]
    ids = [r.id for r in found]

    categories: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for rc in db.session.execute(
            sa.select(ReportCategory.report_id, ReportCategory.category)
            .where(ReportCategory.report_id.in_(ids))
            .order_by(ReportCategory.report_id, ReportCategory.category)
        ):
            categories[rc.report_id].append(rc.category)
    region_ids = sorted({r.region_id for r in found})
    regions = (
        {reg.id: reg for reg in db.session.scalars(sa.select(Region).where(Region.id.in_(region_ids)))}
        if region_ids else {}
    )
    news = _officer_wrote_last(ids)

    rows = [
        FiledReportRow(
            id=r.id,
            filed_on=r.created_at.date(),
            occurred_on=r.occurred_on,
            occurred_month=_month(r.occurred_on, lang),
            region=regions[r.region_id].name(lang) if r.region_id in regions else "",
            categories=[_label(CATEGORIES, code, lang) for code in categories[r.id]],
            categories_text=_list([_label(CATEGORIES, code, lang) for code in categories[r.id]], lang),
            status=r.status,
            status_label=_label(STATES, r.status, lang),
            has_news=r.id in news,
        )
        for r in found
    ]
    return FiledReportsPage(rows=rows, next_cursor=rows[-1].id if more and rows else None)


def _sender(message: Message, org_authors: set[int]) -> str:
    if message.sender == "officer":
        return "officer"
    if message.author_user_id is not None and message.author_user_id in org_authors:
        return "organisation"
    return "reporter"


def filed_report_view(report: Report, *, lang: str | None = None, organisation_id: int | None = None) -> dict:
    """What a partner may see of one report their organisation filed (the
    caller checked can_view_filed_report): status, when and where (district,
    month), categories, whether the community member agreed to be contacted
    (never the contact details), and the message thread, oldest first, each
    message marked ``officer``, ``organisation`` (written by a partner of
    ``organisation_id``) or ``reporter`` (the community member)."""
    status = report_status(report)
    messages = sorted(report.messages, key=lambda m: (m.created_at, m.id))
    author_ids = {m.author_user_id for m in messages if m.sender != "officer" and m.author_user_id is not None}
    org_authors: set[int] = set()
    if author_ids and organisation_id is not None:
        org_authors = set(
            db.session.scalars(
                sa.select(User.id).where(User.id.in_(sorted(author_ids)), User.organisation_id == organisation_id)
            )
        )
    return {
        "id": report.id,
        "case_ref": report.case.ref if report.case is not None else None,
        "status": status,
        "status_label": _label(STATES, status, lang),
        "filed_on": report.created_at.date(),
        "occurred_on": report.occurred_on,
        "occurred_month": _month(report.occurred_on, lang),
        "region": report.region.name(lang) if report.region is not None else "",
        "categories": [_label(CATEGORIES, code, lang) for code in report.category_codes],
        "categories_text": _list([_label(CATEGORIES, code, lang) for code in report.category_codes], lang),
        "consent_contact": bool(report.consent_contact),
        "has_news": bool(messages) and messages[-1].sender == "officer",
        "messages": [
            {
                "from": _sender(m, org_authors),
                "body": m.body,
                "sent_on": m.created_at.date().isoformat(),
                "sent_on_date": m.created_at.date(),
            }
            for m in messages
        ],
    }

