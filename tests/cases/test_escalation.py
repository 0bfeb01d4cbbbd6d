"""Escalation on intake and by ``sweep``, with mail read from a real SMTP server."""
from datetime import timedelta

import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.cases.models import Case
from tracker.core.db import utcnow


def _escalations(db, case_id):
    return db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "case.escalate", AuditEvent.object_id == case_id
        )
    )


def test_critical_case_escalates_on_intake_and_mails_supervisors(app, db, smtp_server, make_user, case_for_report):
    sup = make_user("supervisor", email="chief@example.org")
    make_user("supervisor", body="OTHER", email="elsewhere@example.org")
    make_user("officer", email="officer@example.org")
    case = case_for_report(categories=["killing"], narrative="They shot my brother Omar")
    assert case.state == "escalated" and case.escalated_at is not None
    [msg] = smtp_server.wait_for(1)
    assert smtp_server.envelopes[0].rcpt_tos == [sup.email]
    text = msg.get_body(("plain",)).get_content()
    assert case.ref in text and f"/cases/{case.ref}" in text
    assert "Critical" in text
    # No reporter data in the mail.
    assert "Omar" not in msg.as_string() and "Amina" not in msg.as_string()
    # sweep does not send it again.
    runner = app.test_cli_runner()
    runner.invoke(args=["sweep"])
    assert len(smtp_server.messages) == 1


def test_sweep_twice_escalates_once_and_mails_once(app, db, smtp_server, make_user, make_case):
    make_user("supervisor", email="chief@example.org")
    past = utcnow() - timedelta(days=5)
    overdue = make_case(state="new", severity="high", created_at=past, triage_due_at=past + timedelta(hours=72))
    on_time = make_case(state="new", severity="low", created_at=past, triage_due_at=past + timedelta(days=14))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sweep"])
    assert first.exit_code == 0, first.output
    assert "escalated: 1" in first.output
    second = runner.invoke(args=["sweep"])
    assert "escalated: 0" in second.output and "notified: 0" in second.output
    db.session.expire_all()
    assert db.session.get(Case, overdue.id).state == "escalated"
    assert db.session.get(Case, on_time.id).state == "new"
    assert _escalations(db, overdue.id) == 1
    [msg] = smtp_server.wait_for(1)
    assert overdue.ref in msg["Subject"]
    assert len(smtp_server.messages) == 1


def test_failed_mail_is_retried_by_the_next_sweep(app, db, make_user, make_case, smtp_server):
    from tests.fixtures.mail import free_port

    make_user("supervisor", email="chief@example.org")
    past = utcnow() - timedelta(days=5)
    case = make_case(state="new", created_at=past, triage_due_at=past + timedelta(hours=1))
    good_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    out = app.test_cli_runner().invoke(args=["sweep"]).output
    assert "escalated: 1" in out and "notified: 0" in out
    assert smtp_server.messages == []
    app.config["MAIL_PORT"] = good_port
    out = app.test_cli_runner().invoke(args=["sweep"]).output
    assert "escalated: 0" in out and "notified: 1" in out
    smtp_server.wait_for(1)
    assert _escalations(db, case.id) == 1


def test_triage_deadline_follows_settings(app, db, case_for_report):
    from tracker.admin.settings import set_setting

    set_setting("triage_deadlines", {"high": 5})
    db.session.commit()
    case = case_for_report(categories=["assault"], victims={"children": False})
    assert case.severity == "high"
    assert abs((case.triage_due_at - case.created_at) - timedelta(hours=5)) < timedelta(seconds=5)


def test_sweep_purges_day_old_idempotency_keys(app, db, make_report):
    from tracker.intake.models import IdempotencyKey

    make_report(idempotency_key="a" * 32)
    make_report(idempotency_key="b" * 32)
    rows = db.session.scalars(sa.select(IdempotencyKey).order_by(IdempotencyKey.created_at)).all()
    rows[0].created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["sweep"]).output
    assert "purged: 1" in out
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 1


def test_officer_proposal_mails_supervisors_without_moving(app, db, smtp_server, make_user, make_case):
    from tracker.cases.workflow import perform

    make_user("supervisor", email="chief@example.org")
    officer = make_user("officer")
    case = make_case(state="investigating")
    perform(case, "propose_escalation", officer, reason="Pattern of abuse")
    db.session.commit()
    [msg] = smtp_server.wait_for(1)
    assert case.ref in msg["Subject"] and "Pattern of abuse" not in msg.as_string()
    assert case.state == "investigating"


def test_sweep_does_not_mail_about_old_escalations(app, db, smtp_server, make_user, make_case):
    make_user("supervisor", email="chief@example.org")
    old = utcnow() - timedelta(days=30)
    make_case(state="escalated", created_at=old, escalated_at=old)
    out = app.test_cli_runner().invoke(args=["sweep"]).output
    assert "notified: 0" in out and smtp_server.messages == []


def test_sweep_sends_one_digest_per_body(app, db, smtp_server, make_user, make_case):
    make_user("supervisor", email="chief@example.org")
    make_user("supervisor", body="OTHER", email="other-chief@example.org")
    past = utcnow() - timedelta(days=5)
    mine = [make_case(state="new", created_at=past, triage_due_at=past + timedelta(hours=1)) for _ in range(3)]
    theirs = make_case(state="new", body_="OTHER", created_at=past, triage_due_at=past + timedelta(hours=1))
    out = app.test_cli_runner().invoke(args=["sweep"]).output
    assert "escalated: 4" in out and "notified: 4" in out
    smtp_server.wait_for(2)
    by_rcpt = {env.rcpt_tos[0]: env.message for env in smtp_server.envelopes}
    digest = by_rcpt["chief@example.org"].get_body(("plain",)).get_content()
    assert all(c.ref in digest for c in mine) and theirs.ref not in digest
    assert by_rcpt["chief@example.org"]["Subject"] == "3 cases escalated"
    assert theirs.ref in by_rcpt["other-chief@example.org"]["Subject"]
    assert "escalated: 0" in app.test_cli_runner().invoke(args=["sweep"]).output
    assert len(smtp_server.messages) == 2


def test_savepoints_do_not_send_early_or_drop_the_mail(app, db, smtp_server, make_user, make_case):
    from tracker.cases.workflow import perform

    make_user("supervisor", email="chief@example.org")
    case = make_case(state="investigating")
    perform(case, "escalate", make_user("supervisor"), reason="Pattern")
    with db.session.begin_nested():  # released: fires after_commit on the session
        pass
    try:
        with db.session.begin_nested():
            raise RuntimeError("rolled back to the savepoint")
    except RuntimeError:
        pass
    assert smtp_server.messages == []
    db.session.commit()
    [msg] = smtp_server.wait_for(1)
    assert case.ref in msg["Subject"]
