"""Rows created directly (fast, exact dates) for the metrics, trends and
public tests: the figures are checked against exact, known inputs."""
import itertools
from datetime import date, datetime

import sqlalchemy as sa

_seq = itertools.count(1)


def _region(code):
    from tracker.extensions import db
    from tracker.reference.models import Region

    return db.session.scalar(sa.select(Region).filter_by(pcode=code))


def _force(code):
    from tracker.extensions import db
    from tracker.reference.models import Force

    return db.session.scalar(sa.select(Force).filter_by(code=code))


def _unit(force_code, unit_code):
    from tracker.extensions import db
    from tracker.reference.models import Unit

    force = _force(force_code)
    return db.session.scalar(sa.select(Unit).filter_by(force_id=force.id, code=unit_code))


def add_report(
    *,
    occurred_on: date = date(2026, 3, 10),
    precision: str = "day",
    region: str = "XV0101",
    force: str | None = "ARMY",
    unit: str | None = "BDE4",
    categories=("assault",),
    severity: str = "high",
    consent: bool = True,
    case_state: str | None = "new",
    outcome: str | None = None,
    opened: datetime | None = None,
    triaged: datetime | None = None,
    resolved: datetime | None = None,
    **harm,
):
    """A report (and its case) inserted directly, not committed."""
    from tracker.cases.models import Case
    from tracker.extensions import db
    from tracker.intake.models import Report, ReportCategory

    n = next(_seq)
    f = _force(force) if force else None
    report = Report(
        receipt_hash=f"{n:064d}",
        occurred_on=occurred_on,
        occurred_precision=precision,
        region_id=_region(region).id,
        force_id=f.id if f else None,
        unit_id=_unit(force, unit).id if unit else None,
        severity=severity,
        consent_statistics=consent,
        **harm,
    )
    report.categories = [ReportCategory(category=c) for c in categories]
    db.session.add(report)
    if case_state is not None:
        opened = opened or datetime(occurred_on.year, occurred_on.month, occurred_on.day, 12)
        case = Case(
            ref=f"T-{n:08d}",
            state=case_state,
            severity=severity,
            severity_rank=0,
            outcome=outcome,
            region_id=report.region_id,
            force_id=report.force_id,
            occurred_on=occurred_on,
            created_at=opened,
            triaged_at=triaged,
            resolved_at=resolved,
        )
        db.session.add(case)
        report.case = case
    return report


def add_pulse(*, region="XV0101", month=date(2026, 3, 1), force=None, **answers):
    from tracker.extensions import db
    from tracker.intake.models import PulseResponse

    f = _force(force) if force else None
    p = PulseResponse(region_id=_region(region).id, month=month, force_id=f.id if f else None, **answers)
    db.session.add(p)
    return p
