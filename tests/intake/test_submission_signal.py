"""Intake announces a submitted report; cases opens its case. What a reporter
and an officer would notice: every report sits in exactly one case, and a
report never exists without its case (nor a case without its report)."""
import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.cases.models import Case
from tracker.cases.receivers import open_case_on_submission
from tracker.intake.models import Report
from tracker.intake.signals import report_submitted


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_submitted_report_gets_exactly_one_case(make_report, db):
    report, _ = make_report()
    assert _count(db, Report) == 1 and _count(db, Case) == 1
    assert report.case is not None and report.case.reports == [report]
    opened = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.opened")).all()
    assert len(opened) == 1 and opened[0].object_id == report.case.id


def test_announcing_the_same_report_again_opens_no_second_case(make_report, db):
    report, _ = make_report()
    first_case = report.case
    report_submitted.send(None, report=report, actor=None)
    db.session.commit()
    assert report.case is first_case
    assert _count(db, Case) == 1


def test_the_report_and_its_case_are_one_transaction(make_report, db):
    make_report(commit=False)
    assert _count(db, Report) == 1 and _count(db, Case) == 1  # flushed, not committed
    db.session.rollback()
    assert _count(db, Report) == 0 and _count(db, Case) == 0
    assert _count(db, AuditEvent) == 0


def test_without_cases_listening_no_report_is_filed(make_report, db):
    report_submitted.disconnect(open_case_on_submission)
    try:
        with pytest.raises(RuntimeError):
            make_report(commit=False)
    finally:
        report_submitted.connect(open_case_on_submission)
    db.session.rollback()
    assert _count(db, Report) == 0 and _count(db, Case) == 0
