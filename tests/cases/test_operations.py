"""Audited operations besides moves: assignment, grade, severity override,
notes, contact reveal, messages to the reporter, news."""
import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.audit.service import verify
from tracker.cases import workflow
from tracker.cases.models import CaseNote
from tracker.cases.workflow import TransitionError

from .conftest import audit_count


def _last_event():
    from tracker.extensions import db

    return db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def test_assign_to_self_and_colleague_not_outsider(app, db, make_user, make_case):
    officer, colleague = make_user("officer"), make_user("officer")
    outsider, commander = make_user("officer", body="OTHER"), make_user("commander")
    case = make_case()
    workflow.assign(case, officer, officer)
    assert case.assigned_to_id == officer.id
    workflow.assign(case, officer, colleague)
    assert case.assigned_to_id == colleague.id and _last_event().data["to_user_id"] == colleague.id
    for bad in (outsider, commander):
        with pytest.raises(TransitionError):
            workflow.assign(case, officer, bad)
    with pytest.raises(TransitionError):
        workflow.assign(case, outsider, outsider)


def test_verification_grade(app, db, make_user, make_case):
    officer = make_user("officer")
    case = make_case(state="investigating")
    workflow.set_verification(case, officer, "credible")
    assert case.verification == "credible" and case.state == "investigating"
    assert _last_event().data == {"from": "unverified", "to": "credible"}
    with pytest.raises(TransitionError):
        workflow.set_verification(case, officer, "certain")


def test_severity_override_needs_reason_and_reranks(app, db, make_user, make_case):
    officer = make_user("officer")
    case = make_case(severity="low")
    before = audit_count()
    with pytest.raises(TransitionError) as err:
        workflow.override_severity(case, officer, "critical", "")
    assert err.value.field == "reason" and audit_count() == before
    workflow.override_severity(case, officer, "critical", "Child among the detained")
    assert (case.severity, case.severity_rank, case.severity_overridden) == ("critical", 0, True)
    assert (case.triage_due_at - case.created_at).total_seconds() == 24 * 3600
    note = db.session.get(CaseNote, _last_event().data["note_id"])
    assert note.body == "Child among the detained"
    assert b"Child" not in note.body_enc  # encrypted at rest


def test_notes_are_encrypted_and_audited_by_id(app, db, make_user, make_case):
    officer = make_user("officer")
    case = make_case()
    note = workflow.add_note(case, officer, "Called the clinic; two admitted")
    ev = _last_event()
    assert ev.action == "case.note" and ev.data == {"note_id": note.id}
    assert b"clinic" not in note.body_enc
    with pytest.raises(TransitionError):
        workflow.add_note(case, officer, "  ")


def test_reveal_contact_returns_decrypted_details_and_audits(app, db, make_user, case_for_report):
    officer = make_user("officer")
    case = case_for_report()
    with pytest.raises(TransitionError):
        workflow.reveal_contact(case, officer, "")
    out = workflow.reveal_contact(case, officer, "To arrange an interview")
    assert out[0]["contact"]["name"] == "Amina"
    ev = _last_event()
    assert ev.action == "case.reveal_contact" and "Amina" not in str(ev.data)
    with pytest.raises(TransitionError):
        workflow.reveal_contact(case, make_user("officer", body="OTHER"), "curious")


def test_officer_message_reaches_reporter_in_their_language(app, db, make_user, case_for_report):
    from tracker.intake.services import add_reporter_message, followup_view

    officer = make_user("officer")
    case = case_for_report(language="es")
    workflow.perform(case, "triage", officer)
    workflow.message_reporter(case, officer, "¿Puede decirnos la hora?")
    db.session.commit()
    report = case.reports[0]
    view = followup_view(report, "es")
    assert view["messages"][-1] == {**view["messages"][-1], "from": "officer", "body": "¿Puede decirnos la hora?"}
    assert view["status"] == "triaged" and view["status_label"]
    # The reply marks the case as having news; opening it clears the flag.
    add_reporter_message(report, "A las diez de la noche")
    db.session.commit()
    assert case.has_news
    workflow.mark_news_read(case, officer)
    assert not case.has_news


def test_audit_chain_verifies_after_a_day_of_work(app, db, make_user, case_for_report):
    officer, sup = make_user("officer"), make_user("supervisor")
    case = case_for_report(categories=["assault"])
    for action, who, kw in [
        ("triage", officer, {}),
        ("investigate", officer, {}),
        ("propose_escalation", officer, {"reason": "pattern"}),
        ("escalate", sup, {"reason": "pattern confirmed"}),
        ("resolve", officer, {"outcome": "partly_substantiated"}),
        ("close", sup, {}),
    ]:
        workflow.perform(case, action, who, **kw)
        db.session.commit()
    assert case.state == "closed"
    assert verify().ok
