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
from flask_babel import lazy_gettext as _l

from tracker.cases.models import STATES, Case
from tracker.cases.search import search_clause
from tracker.cases.workflow import OPEN_STATES
from tracker.core.db import utcnow
from tracker.core.params import DB_INT_MAX
from tracker.extensions import db
from tracker.intake.models import SEVERITIES, Report, ReportCategory
from tracker.intake.severity import severity_rank

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
    proposed: bool = False  # an officer proposed escalation; a supervisor decides
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
        for name in ("mine", "overdue", "news", "proposed"):
            if getattr(self, name):
                out[name] = "1"
        return out


def parse_filters(args) -> QueueFilters:
    """Read filters from a mapping (query string or JSON); unknown values are
    reported in ``errors`` and ignored, never a server error."""
    from flask_babel import gettext as _

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
    for name in ("mine", "overdue", "news", "proposed"):
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
    from tracker.reference.models import Force

    now = now or utcnow()
    search, selective = search_clause(filters.q, Case.id) if filters.q else (None, False)
    # With a few hundred matching ids, look them up and sort them rather than
    # walk the body's queue index testing each case ("+ 0" keeps both SQLite
    # and PostgreSQL off that index for this query).
    stmt = sa.select(Case).where((Case.body_id + 0 if selective else Case.body_id) == user.body_id)
    if filters.state == "open":
        stmt = stmt.where(Case.state.in_(OPEN_STATES))
    elif filters.state != "all":
        stmt = stmt.where(Case.state == filters.state)
    if filters.severity:

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
    if filters.proposed:
        stmt = stmt.where(Case.escalation_proposed_at.is_not(None))
    if search is not None:
        stmt = stmt.where(search)
    return stmt


#: Orders the queue offers, each a keyset (every column in one direction,
#: the id last so that the order is total). "severity" is the default: most
#: severe first, then oldest first (DESIGN §4).
SORTS: dict[str, tuple[tuple, bool]] = {
    "severity": ((Case.severity_rank, Case.created_at, Case.id), False),
    "oldest": ((Case.created_at, Case.id), False),
    "newest": ((Case.created_at, Case.id), True),
    "updated": ((Case.updated_at, Case.id), True),
}
ORDER = SORTS["severity"][0]
SORT_LABELS = {
    "severity": _l("Most severe first"),
    "oldest": _l("Oldest first"),
    "newest": _l("Newest first"),
    "updated": _l("Recently changed first"),
}


def _key_values(case: Case, sort: str) -> list:
    return [getattr(case, col.key) for col in SORTS[sort][0]]


def encode_cursor(case: Case, sort: str = "severity") -> str:
    """An opaque page boundary: the sort's key values of one row."""
    parts = [sort] + [v.isoformat(timespec="microseconds") if isinstance(v, datetime) else str(v)
                      for v in _key_values(case, sort)]
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str = "severity") -> tuple:
    """The key values in ``cursor``; CursorError if it is not one this server
    made for this sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = raw.split("|")
        if parts[0] in SORTS:
            name, values = parts[0], parts[1:]
        else:  # cursors made before sorting existed: severity order
            name, values = "severity", parts
        if name != sort or len(values) != len(SORTS[sort][0]):
            raise ValueError(cursor)
        out = []
        for col, value in zip(SORTS[sort][0], values, strict=True):
            out.append(datetime.fromisoformat(value) if col.key.endswith("_at") else int(value))
        # Beyond the INTEGER columns' range PostgreSQL refuses the query.
        if any(isinstance(v, int) and abs(v) > DB_INT_MAX for v in out):
            raise ValueError(cursor)
        return tuple(out)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CursorError(cursor) from exc


@dataclass
class QueuePage:
    cases: list[Case]
    next_cursor: str | None
    prev_cursor: str | None = None


def queue_page(
    user, filters: QueueFilters, cursor: str | None = None, limit: int | None = None, now: datetime | None = None,
    *, before: str | None = None, sort: str = "severity",
) -> QueuePage:
    """One page of the queue in ``sort`` order, starting after ``cursor`` (or,
    going back, ending before ``before``). Keyset pagination: no OFFSET, so
    a deep page costs what the first costs. Raises CursorError for a forged
    cursor."""
    if sort not in SORTS:
        sort = "severity"
    columns, descending = SORTS[sort]
    limit = max(1, min(int(PAGE_SIZE if limit is None else limit), MAX_PAGE_SIZE))
    stmt = filtered_query(user, filters, now)
    key = sa.tuple_(*columns)
    backwards = bool(before) and not cursor
    boundary = cursor or before
    if boundary:
        values = sa.tuple_(*(sa.literal(v) for v in decode_cursor(boundary, sort)))
        forward_after = not descending  # "after" in the shown order is ">" when ascending
        if backwards:
            forward_after = not forward_after
        stmt = stmt.where(key > values if forward_after else key < values)
    reverse = descending != backwards
    order = [c.desc() if reverse else c.asc() for c in columns]
    rows = db.session.scalars(stmt.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
        next_cursor = encode_cursor(rows[-1], sort) if rows else None
        prev_cursor = encode_cursor(rows[0], sort) if more and rows else None
    else:
        next_cursor = encode_cursor(rows[-1], sort) if more and rows else None
        prev_cursor = encode_cursor(rows[0], sort) if boundary and rows else None
    return QueuePage(rows, next_cursor, prev_cursor)


def count_matching(user, filters: QueueFilters, cap: int = 1000, now: datetime | None = None) -> int:
    """How many cases match the filters, counted up to ``cap`` + 1 (the page
    says "more than 1,000" rather than count a million rows)."""
    sub = filtered_query(user, filters, now).with_only_columns(Case.id).limit(cap + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(sub)) or 0


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
