"""Fixtures for the case workflow tests.

``make_case(state=..., severity=..., body=<OversightBody|code>, ...)`` inserts
a case directly (no report), for tests that walk the state machine;
``case_for_report(**payload)`` files a real report (intake services) and
returns its case. ``body`` returns the demo body "NOC".
"""
import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.core.db import utcnow

_seq = itertools.count(1)


@pytest.fixture
def body(app):
    from tracker.extensions import db
    from tracker.reference.models import OversightBody

    return db.session.scalar(sa.select(OversightBody).filter_by(code="NOC"))


@pytest.fixture
def make_case(app, body):
    from tracker.cases.models import Case
    from tracker.extensions import db
    from tracker.reference.models import OversightBody, Region

    region_id = db.session.scalar(sa.select(Region.id).filter_by(pcode="XV0101"))
    default_body_id = body.id

    def _make(state="new", severity="high", body_=None, created_at=None, commit=True, **kw):
        b = body_ or db.session.get(OversightBody, default_body_id)
        if isinstance(b, str):
            b = db.session.scalar(sa.select(OversightBody).filter_by(code=b))
            if b is None:
                b = OversightBody(code=body_, names={"en": body_})
                db.session.add(b)
                db.session.flush()
        created = created_at or utcnow()
        rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}[severity]
        case = Case(
            ref=f"T-{next(_seq):06d}",
            state=state,
            severity=severity,
            severity_rank=rank,
            body_id=b.id,
            region_id=kw.pop("region_id", region_id),
            occurred_on=kw.pop("occurred_on", created.date()),
            created_at=created,
            updated_at=created,
            triage_due_at=kw.pop("triage_due_at", created + timedelta(hours=72)),
            **kw,
        )
        db.session.add(case)
        db.session.flush()
        if commit:
            db.session.commit()
        return case

    return _make


@pytest.fixture
def case_for_report(app, make_report):
    def _make(**payload):
        report, receipt = make_report(**payload)
        case = report.case
        case.test_receipt = receipt
        return case

    return _make


def audit_count():
    from tracker.audit.models import AuditEvent
    from tracker.extensions import db

    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
