"""CSV export of a filtered queue, and the body's audit trail, for
supervisors.

The export holds references, states, severities, grades, outcomes, places
(region codes and names, never the place description or coordinates),
categories and dates: no narrative, no contact details, no messages.
Each export is audited with its filters and row count.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime

import sqlalchemy as sa

from tracker.audit.service import record
from tracker.cases import permissions as perm
from tracker.cases.queue import ORDER, QueueFilters, filtered_query
from tracker.cases.workflow import TransitionError
from tracker.extensions import db
from tracker.intake.models import Report, ReportCategory

CSV_COLUMNS = (
    "ref",
    "state",
    "severity",
    "verification",
    "outcome",
    "region_pcode",
    "region",
    "province_pcode",
    "force",
    "categories",
    "reports",
    "occurred_on",
    "created_at",
    "triage_due_at",
    "triaged_at",
    "escalated_at",
    "resolved_at",
)
BATCH = 1000


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    # Spreadsheets run cells that start like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_rows(user, filters: QueueFilters):
    """Yield dicts of CSV_COLUMNS for every case matching ``filters``, in
    queue order, in keyset batches."""
    from tracker.reference.models import Force, Region

    regions = {r.id: r for r in db.session.scalars(sa.select(Region))}
    forces = dict(db.session.execute(sa.select(Force.id, Force.code)).all())
    last = None
    while True:
        stmt = filtered_query(user, filters)
        if last is not None:
            stmt = stmt.where(sa.tuple_(*ORDER) > sa.tuple_(*(sa.literal(v) for v in last)))
        cases = db.session.scalars(stmt.order_by(*ORDER).limit(BATCH)).all()
        if not cases:
            return
        ids = [c.id for c in cases]
        cats: dict[int, set[str]] = {}
        nreports: dict[int, int] = {}
        for cid, cat in db.session.execute(
            sa.select(Report.case_id, ReportCategory.category)
            .join(ReportCategory, ReportCategory.report_id == Report.id)
            .where(Report.case_id.in_(ids))
        ):
            cats.setdefault(cid, set()).add(cat)
        for cid, n in db.session.execute(
            sa.select(Report.case_id, sa.func.count(Report.id)).where(Report.case_id.in_(ids)).group_by(Report.case_id)
        ):
            nreports[cid] = n
        for c in cases:
            region = regions.get(c.region_id)
            province = region.at_level(1) if region is not None else None
            yield {
                "ref": c.ref,
                "state": c.state,
                "severity": c.severity,
                "verification": c.verification,
                "outcome": c.outcome,
                "region_pcode": region.pcode if region else None,
                "region": region.name() if region else None,
                "province_pcode": province.pcode if province else None,
                "force": forces.get(c.force_id),
                "categories": ";".join(sorted(cats.get(c.id, ()))),
                "reports": nreports.get(c.id, 0),
                "occurred_on": c.occurred_on.isoformat() if c.occurred_on else None,
                "created_at": c.created_at,
                "triage_due_at": c.triage_due_at,
                "triaged_at": c.triaged_at,
                "escalated_at": c.escalated_at,
                "resolved_at": c.resolved_at,
            }
        last = (cases[-1].severity_rank, cases[-1].created_at, cases[-1].id)
        for c in cases:
            db.session.expunge(c)


def export_csv(user, filters: QueueFilters) -> str:
    """The filtered queue as CSV text (supervisors only). Audited; the
    caller commits."""
    from flask_babel import gettext as _

    if not perm.can_export(user):
        raise TransitionError(_("Only a supervisor can do this."), code="forbidden")
    body_id = user.body_id
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in export_rows(user, filters):
        writer.writerow([_cell(row[k]) for k in CSV_COLUMNS])
        count += 1
    record(
        "cases.export",
        actor=user,
        body_id=body_id,
        object_type="body",
        object_id=body_id,
        data={"filters": {k: v for k, v in filters.as_args().items() if k != "q"}, "searched": bool(filters.q), "rows": count},
    )
    return out.getvalue()
