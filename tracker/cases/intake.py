"""Opening a case for a new report (DESIGN §4). One report, one case, for now;
duplicates are linked later by officers.

Like every service here it only flushes: the caller commits once.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from tracker.audit.service import record
from tracker.cases.deadlines import set_triage_deadline
from tracker.cases.escalation import escalate_on_intake
from tracker.cases.models import Case
from tracker.cases.search import index_report
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.severity import severity_rank
from tracker.reference.routing import route_body_id


def case_ref(case_id: int, opened_at: datetime) -> str:
    """``YYYY-NNNNNN``: the year opened and the case id, unique and race-free
    (the id comes from the database, so two concurrent intakes never clash)."""
    return f"{opened_at.year}-{case_id:06d}"


def open_case_for_report(report, *, actor=None) -> Case:
    """Create the case for a just-submitted report and record "case.opened".

    The case starts ``new`` with the report's computed severity, is routed to
    an oversight body by (force, region) (tracker.reference.routing), copies
    region/force/date for filters, and gets its triage deadline. The audit
    event holds codes and ids only, never reporter identity.
    """
    now = utcnow()
    # The report may still be pending (intake flushes it with its case):
    # the lookups below must not write it early, without its case.
    with db.session.no_autoflush:
        body_id = route_body_id(report.force_id, report.region_id)
        case = Case(
            ref="tmp-" + secrets.token_hex(6),
            state="new",
            severity=report.severity,
            severity_rank=severity_rank(report.severity),
            body_id=body_id,
            region_id=report.region_id,
            force_id=report.force_id,
            occurred_on=report.occurred_on,
            created_at=now,
            updated_at=now,
        )
        set_triage_deadline(case)
    db.session.add(case)
    report.case = case
    # One flush: the case, and the new report with what intake added with it
    # (categories, photos, idempotency key); gives the ids used below.
    db.session.flush()
    # The search index and the audit chain's tail are queries: each would
    # flush what is pending first. The ref is set after them, so that it is
    # written with the audit events by the caller's last flush rather than
    # by a flush of its own.
    index_report(report, fresh=True)
    ref = case_ref(case.id, case.created_at)
    record(
        "case.opened",
        actor=actor,
        actor_role=None if actor is not None else "reporter",
        body_id=case.body_id,
        object_type="case",
        object_id=case.id,
        data={
            "ref": ref,
            "report_id": report.id,
            "severity": case.severity,
            "categories": list(report.category_codes),
        },
    )
    case.ref = ref
    escalate_on_intake(case)
    return case
