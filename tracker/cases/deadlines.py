"""Triage deadlines (DESIGN §4): how long a case of each severity may stay
``new``. One home: the admin setting ``triage_deadlines`` when set, else
config TRIAGE_DEADLINES (critical 24 h, high 72 h, medium 7 d, low 14 d)."""
from __future__ import annotations

from datetime import timedelta

from tracker.admin.settings import triage_deadlines
from tracker.cases.models import Case
from tracker.core.db import utcnow


def triage_deadline(severity: str) -> timedelta:
    """How long a case of this severity may stay ``new``."""
    hours = triage_deadlines()
    return timedelta(hours=float(hours.get(severity, hours.get("low", 14 * 24))))


def set_triage_deadline(case: Case) -> None:
    """The case's due time, counted from when it was opened."""
    case.triage_due_at = (case.created_at or utcnow()) + triage_deadline(case.severity)
