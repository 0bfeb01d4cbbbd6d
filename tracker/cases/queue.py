"""The triage queue: filters, order (severity, then age) and keyset pages.

Pages are addressed by a cursor holding the last row's (severity_rank,
created_at, id), never by OFFSET, so page 1,000 costs what page 1 costs
(the ``ix_case_queue`` index serves both the filter on body and the order).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from tracker.cases.models import STATES, Case
from tracker.cases.search import search_clause
from tracker.cases.workflow import OPEN_STATES
from tracker.core.db import utcnow
from tracker.core.params import parse_db_id
from tracker.extensions import db

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
STATE_CHOICES = ("open", "all", *STATES)


class CursorError(ValueError):
    """The cursor is not one this server made."""


@dataclass
class QueueFilters:
    state: str = "open"
    severity: str | None = None
    region: str | None = None  # P-code; includes the region's descendants
    category: str | None = None
    force: str | None = None  # force code
    mine: bool = False
    overdue: bool = False
    news: bool = False
    q: str | None = None
    errors: dict = field(default_factory=dict)

    def as_args(self) -> dict:
        """Query-string arguments that reproduce these filters."""
        out = {}
        if self.state != "open":
            out["state"] = self.state
        for name in ("severity", "region", "category", "force", "q"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("mine", "overdue", "news"):
            if getattr(self, name):
                out[name] = "1"
        return out


def parse_filters(args) -> QueueFilters:
    """Read filters from a mapping (query string or JSON); unknown values are
    reported in ``errors`` and ignored, never a server error."""
    from flask_babel import gettext as _

    from tracker.intake.models import SEVERITIES
    from tracker.reference.models import CATEGORIES, Force, Region

    f = QueueFilters()
    state = (args.get("state") or "open").strip()
    if state in STATE_CHOICES:
        f.state = state
    else:
        f.errors["state"] = _("Unknown state.")
    severity = (args.get("severity") or "").strip()
    if severity:
        if severity in SEVERITIES:
            f.severity = severity
        else:
            f.errors["severity"] = _("Unknown severity.")
    category = (args.get("category") or "").strip()
    if category:
        if category in CATEGORIES:
            f.category = category
        else:
            f.errors["category"] = _("Unknown category.")
    region = (args.get("region") or "").strip()
    if region:
        # A NUL byte matches no code (and PostgreSQL refuses it in a query).
        if "\x00" not in region and db.session.scalar(sa.select(Region.id).where(Region.pcode == region)) is not None:
            f.region = region
        else:
            f.errors["region"] = _("Unknown region.")
    force = (args.get("force") or "").strip()
    if force:
        if "\x00" not in force and db.session.scalar(sa.select(Force.id).where(Force.code == force)) is not None:
            f.force = force
        else:
            f.errors["force"] = _("Unknown force.")
    truthy = ("1", "true", "on", "yes", True)
    falsy = ("", "0", "false", "off", "no", None, False)
    for name in ("mine", "overdue", "news"):
        value = args.get(name)
        value = value.strip().lower() if isinstance(value, str) else value
        if value not in truthy and value not in falsy:
            f.errors[name] = _("Unknown value.")
        setattr(f, name, value in truthy)
    q = (args.get("q") or "").strip()
    f.q = q[:200] or None
    return f


def region_and_descendants(pcode: str) -> list[int]:
    from tracker.reference.models import Region

    rows = db.session.execute(sa.select(Region.id, Region.parent_id, Region.pcode)).all()
    children: dict[int | None, list[int]] = {}
    start = None
    for rid, parent, code in rows:
        children.setdefault(parent, []).append(rid)
        if code == pcode:
            start = rid
    if start is None:
        return []
    out, todo = [], [start]
    while todo:
        rid = todo.pop()
        out.append(rid)
        todo.extend(children.get(rid, ()))
    return sorted(out)


def filtered_query(user, filters: QueueFilters, now: datetime | None = None) -> sa.Select:
    """SELECT of the user's body's cases matching ``filters`` (unordered)."""
    from tracker.intake.models import Report, ReportCategory
    from tracker.reference.models import Force

    now = now or utcnow()
    search, selective = search_clause(filters.q, Case.id) if filters.q else (None, False)
    if selective:
        # A few hundred matching ids: look them up and sort them, rather than
        # walk the body's queue index testing each case ("+ 0" keeps both
        # SQLite and PostgreSQL off that index for this query).
        stmt = sa.select(Case).where(Case.body_id + 0 == user.body_id)
    else:
        stmt = sa.select(Case).where(Case.body_id == user.body_id)
    if filters.state == "open":
        stmt = stmt.where(Case.state.in_(OPEN_STATES))
    elif filters.state != "all":
        stmt = stmt.where(Case.state == filters.state)
    if filters.severity:
        from tracker.cases.severity import severity_rank

        stmt = stmt.where(Case.severity_rank == severity_rank(filters.severity))
    if filters.region:
        stmt = stmt.where(Case.region_id.in_(region_and_descendants(filters.region)))
    if filters.force:
        stmt = stmt.where(Case.force_id == sa.select(Force.id).where(Force.code == filters.force).scalar_subquery())
    if filters.category:
        stmt = stmt.where(
            sa.exists().where(
                Report.case_id == Case.id,
                ReportCategory.report_id == Report.id,
                ReportCategory.category == filters.category,
            )
        )
    if filters.mine:
        stmt = stmt.where(Case.assigned_to_id == user.id)
    if filters.overdue:
        from tracker.cases.escalation import overdue_clause

        stmt = stmt.where(overdue_clause(now))
    if filters.news:
        stmt = stmt.where(Case.has_news.is_(True))
    if search is not None:
        stmt = stmt.where(search)
    return stmt


def encode_cursor(case: Case) -> str:
    raw = f"{case.severity_rank}|{case.created_at.isoformat(timespec='microseconds')}|{case.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        rank, created, cid = raw.split("|")
        rank_n, when, cid_n = int(rank), datetime.fromisoformat(created), parse_db_id(cid)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CursorError(cursor) from exc
    # Numbers beyond the database's range would make the query fail.
    if cid_n is None or not 0 <= rank_n <= 100:
        raise CursorError(cursor)
    return rank_n, when, cid_n


@dataclass
class QueuePage:
    cases: list[Case]
    next_cursor: str | None


ORDER = (Case.severity_rank, Case.created_at, Case.id)


def queue_page(
    user, filters: QueueFilters, cursor: str | None = None, limit: int = PAGE_SIZE, now: datetime | None = None
) -> QueuePage:
    """One page of the queue, most severe first and then oldest first,
    starting after ``cursor``. Raises CursorError for a forged cursor."""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    stmt = filtered_query(user, filters, now)
    if cursor:
        rank, created, cid = decode_cursor(cursor)
        stmt = stmt.where(sa.tuple_(*ORDER) > sa.tuple_(sa.literal(rank), sa.literal(created), sa.literal(cid)))
    rows = db.session.scalars(stmt.order_by(*ORDER).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows, encode_cursor(rows[-1]) if more and rows else None)


def counts(user, now: datetime | None = None) -> dict:
    """Numbers at the top of the queue, among open cases: critical, overdue
    for triage, with news from the reporter, escalation proposed. Each is
    one narrow index range (no count of all open cases: at a million cases
    that would cost a second per page view)."""
    now = now or utcnow()
    body = Case.body_id == user.body_id
    open_ = Case.state.in_(OPEN_STATES)

    def n(*where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(body, *where)) or 0

    return {
        "critical": n(open_, Case.severity_rank == 0),
        "overdue": n(Case.state == "new", Case.triage_due_at < now),
        "news": n(Case.has_news.is_(True), open_),
        "proposed": n(Case.escalation_proposed_at.is_not(None), open_),
    }
