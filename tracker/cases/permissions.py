"""Who may do what with a case: ``can_<verb>(user, case)``.

Rules (DESIGN §1): officers and supervisors see and work only the cases of
their own oversight body; a partner sees only the status of cases holding a
report their organisation filed; commanders and admins never reach a case.
Route guards, services and templates all call these same functions.
"""
from __future__ import annotations

import sqlalchemy as sa

from tracker.extensions import db
from tracker.intake.models import Report

CASE_ROLES = frozenset({"officer", "supervisor"})


def _role(user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", True):
        return None
    return getattr(user, "role", None)


def is_case_worker(user) -> bool:
    """Officers and supervisors (of any body): may open the queue."""
    return _role(user) in CASE_ROLES and getattr(user, "body_id", None) is not None


def is_supervisor(user) -> bool:
    return _role(user) == "supervisor" and getattr(user, "body_id", None) is not None


def _same_body(user, case) -> bool:
    return case is not None and case.body_id is not None and case.body_id == getattr(user, "body_id", None)


def can_view_queue(user) -> bool:
    """The queue is for officers and supervisors only."""
    return is_case_worker(user)


def can_view_case(user, case) -> bool:
    """Full content of a case: officer or supervisor of the case's body."""
    return is_case_worker(user) and _same_body(user, case)


def can_work_case(user, case) -> bool:
    """Notes, messages, assignment, grading: officer or supervisor of the body,
    on a case that has not been merged away."""
    return can_view_case(user, case) and case.state != "merged"


def can_add_note(user, case) -> bool:
    return can_work_case(user, case)


def can_message_reporter(user, case) -> bool:
    """Messages go to the reporter while the case is not merged away."""
    return can_work_case(user, case)


def can_assign(user, case) -> bool:
    return can_work_case(user, case)


def can_grade(user, case) -> bool:
    """Verification grade: any officer of the body."""
    return can_work_case(user, case)


def can_override_severity(user, case) -> bool:
    return can_work_case(user, case)


def can_reveal_contact(user, case) -> bool:
    """Contact details: officer/supervisor of the body, with a reason (audited)."""
    return can_view_case(user, case)


def can_view_audit(user) -> bool:
    """The body's audit trail: supervisors."""
    return is_supervisor(user)


def can_export(user) -> bool:
    """CSV export of the queue: supervisors."""
    return is_supervisor(user)


def can_view_status(user, case) -> bool:
    """Status only: a partner whose organisation filed one of the case's
    reports; and anyone who may view the whole case."""
    if can_view_case(user, case):
        return True
    if _role(user) != "partner" or case is None or getattr(user, "organisation_id", None) is None:
        return False

    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Report.id)).where(
                Report.case_id == case.id, Report.filed_by_org_id == user.organisation_id
            )
        )
    )
