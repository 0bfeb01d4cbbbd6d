"""Escalation and triage deadlines (DESIGN §4).

- Critical cases are escalated on intake (``escalate_on_intake``).
- Every severity has a triage deadline (config TRIAGE_DEADLINES, in hours,
  overridable by the ``triage_deadlines`` setting); ``sweep`` escalates the
  cases still ``new`` after their deadline.
- Supervisors of the case's body are told by e-mail. A case is "claimed" for
  notification with a conditional UPDATE before the mail is sent, so running
  ``sweep`` twice (or at the same time as a request) never sends twice; a
  failed send releases the claim and the next ``sweep`` retries.

Mails carry case references, severities and links only: never reporter data.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tracker.cases.models import Case
from tracker.cases.workflow import TransitionError, perform
from tracker.core.db import utcnow
from tracker.core.mail import MailError, send_mail
from tracker.extensions import db
from tracker.intake.models import SEVERITIES, IdempotencyKey

_PENDING = "tracker_case_notifications"
RETRY_WINDOW = timedelta(hours=48)


def escalates_on_intake(severity: str) -> bool:
    """Whether a case of this severity is escalated as soon as it is opened
    (DESIGN §4: critical cases)."""
    return severity == "critical"


def escalate_on_intake(case: Case) -> bool:
    """Escalate a new case at once if it is critical (actor: the system).
    Returns True if it was escalated."""
    if escalates_on_intake(case.severity) and case.state == "new" and case.body_id is not None:
        perform(case, "escalate", None, reason=_system_reason("critical"))
        return True
    return False


def _system_reason(code: str) -> str:
    """The reason the system writes, in the staff's default language (not
    the reporter's, whose request may be the one running this)."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        if code == "critical":
            return _("Escalated automatically: critical on intake.")
        return _("Escalated automatically: the triage deadline passed.")


def overdue_clause(now: datetime):
    return sa.and_(Case.state == "new", Case.triage_due_at.is_not(None), Case.triage_due_at < now)


def on_case_moved(sender, *, case: Case, action: str, actor) -> None:
    """Answer the workflow's ``case_moved``: supervisors hear of escalations
    and proposals once the transaction commits."""
    if action in ("escalate", "propose_escalation"):
        notify_supervisors(case, action)


def notify_supervisors(case: Case, kind: str, after_commit: bool = True) -> None:
    """Queue a notification about ``case`` (``escalate`` or
    ``propose_escalation``); it is sent once the transaction commits."""
    pending = db.session.info.setdefault(_PENDING, [])
    pending.append((case.id, kind))
    _listen()


_listening = False


def _listen() -> None:
    global _listening
    if _listening:
        return
    _listening = True
    sa.event.listen(db.session, "after_commit", _after_commit)
    sa.event.listen(db.session, "after_soft_rollback", _after_soft_rollback)


def _after_soft_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)


def _after_commit(session) -> None:
    # after_commit also fires when a savepoint is released (e.g. the rollup
    # upkeep's begin_nested() in before_commit): wait for the real commit.
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        with Session(db.engine) as fresh:
            for case_id, kind in dict.fromkeys(pending):
                if kind == "escalate":
                    deliver_escalation(fresh, case_id)
                else:
                    deliver_proposal(fresh, case_id)
    except Exception:  # noqa: BLE001 - a mail problem must not fail the user's request
        current_app.logger.exception("Could not send case notifications; sweep will retry escalations")


def _recipients(session: Session, body_id: int) -> list:
    from tracker.accounts.models import User

    users = session.scalars(
        sa.select(User)
        .where(User.body_id == body_id, User.role == "supervisor", User.is_active_account.is_(True))
        .order_by(User.id)
    ).all()
    return users


def _link(case: Case) -> str:
    base = (current_app.config.get("TRACKER_BASE_URL") or "").rstrip("/")
    return f"{base}/cases/{case.ref}"


def _mail_supervisors(session: Session, body_id: int, compose) -> bool:
    """Mail the active supervisors of a body (else the body's address), one
    message per language, composed by ``compose()`` -> (subject, text) in
    that language. Raises MailError if the server fails."""
    users = _recipients(session, body_id)
    by_lang: dict[str, list[str]] = {}
    for user in users:
        by_lang.setdefault(user.language or "en", []).append(user.email)
    if not by_lang:
        from tracker.reference.models import OversightBody

        body = session.get(OversightBody, body_id)
        if body is None or not body.email:
            return False
        by_lang = {current_app.config.get("BABEL_DEFAULT_LOCALE", "en"): [body.email]}
    for lang, emails in sorted(by_lang.items()):
        with force_locale(lang):
            subject, text = compose()
        send_mail(sorted(emails), subject, text)
    return True


def _severity_label(case: Case) -> str:

    return str(SEVERITIES.get(case.severity, case.severity))


def _send_to_supervisors(session: Session, case: Case, subject_fn, body_fn) -> bool:
    return _mail_supervisors(
        session,
        case.body_id,
        lambda: (subject_fn(case, _severity_label(case)), body_fn(case, _severity_label(case))),
    )


DIGEST_LINES = 100


def _digest(cases: list[Case]) -> tuple[str, str]:
    base = (current_app.config.get("TRACKER_BASE_URL") or "").rstrip("/")
    lines = [
        _("%(ref)s (severity: %(severity)s): %(link)s", ref=c.ref, severity=_severity_label(c), link=_link(c))
        for c in cases[:DIGEST_LINES]
    ]
    if len(cases) > DIGEST_LINES:
        lines.append(
            _(
                "… and %(n)s more: %(link)s",
                n=len(cases) - DIGEST_LINES,
                link=f"{base}/cases?state=escalated",
            )
        )
    subject = ngettext("%(num)s case escalated", "%(num)s cases escalated", len(cases))
    text = _("These cases have been escalated and need a supervisor:") + "\n\n" + "\n".join(lines) + "\n"
    return subject, text


def deliver_digest(session: Session, body_id: int, now: datetime) -> int:
    """Tell a body's supervisors, in one mail, about every recent escalation
    not yet notified. Claims the cases first (a conditional UPDATE stamped
    with this run's time), so a concurrent run cannot mail them too; a
    failed send releases the claim. Returns the number of cases notified."""
    stamp = utcnow()
    session.execute(
        sa.update(Case)
        .where(
            Case.body_id == body_id,
            Case.state == "escalated",
            Case.escalation_notified_at.is_(None),
            Case.escalated_at >= now - RETRY_WINDOW,
        )
        .values(escalation_notified_at=stamp)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    cases = session.scalars(
        sa.select(Case)
        .where(Case.body_id == body_id, Case.escalation_notified_at == stamp)
        .order_by(Case.severity_rank, Case.created_at, Case.id)
    ).all()
    if not cases:
        return 0
    try:
        if len(cases) == 1:
            _send_to_supervisors(session, cases[0], _escalation_subject, _escalation_body)
        else:
            _mail_supervisors(session, body_id, lambda: _digest(cases))
    except MailError:
        session.execute(
            sa.update(Case)
            .where(Case.body_id == body_id, Case.escalation_notified_at == stamp)
            .values(escalation_notified_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return 0
    return len(cases)


def _escalation_subject(case, severity):
    return _("Case %(ref)s escalated (%(severity)s)", ref=case.ref, severity=severity)


def _escalation_body(case, severity):
    return _(
        "Case %(ref)s (severity: %(severity)s) has been escalated and needs a supervisor.\n\nOpen it: %(link)s\n",
        ref=case.ref,
        severity=severity,
        link=_link(case),
    )


def _proposal_subject(case, severity):
    return _("Escalation proposed for case %(ref)s", ref=case.ref)


def _proposal_body(case, severity):
    return _(
        "An officer proposes to escalate case %(ref)s (severity: %(severity)s).\n\nOpen it to decide: %(link)s\n",
        ref=case.ref,
        severity=severity,
        link=_link(case),
    )


def deliver_escalation(session: Session, case_id: int, now: datetime | None = None) -> bool:
    """Tell the supervisors about an escalated case, at most once. Returns
    True if this call sent (or logged) the notification."""
    now = now or utcnow()
    claimed = session.execute(
        sa.update(Case)
        .where(Case.id == case_id, Case.state == "escalated", Case.escalation_notified_at.is_(None))
        .values(escalation_notified_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if claimed != 1:
        return False
    case = session.get(Case, case_id)
    try:
        _send_to_supervisors(session, case, _escalation_subject, _escalation_body)
    except MailError:
        session.execute(
            sa.update(Case)
            .where(Case.id == case_id)
            .values(escalation_notified_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return False
    return True


def deliver_proposal(session: Session, case_id: int) -> bool:
    case = session.get(Case, case_id)
    if case is None:
        return False
    try:
        return _send_to_supervisors(session, case, _proposal_subject, _proposal_body)
    except MailError:
        return False


SWEEP_BATCH = 200


def sweep(now: datetime | None = None) -> dict:
    """Escalate every case still ``new`` after its triage deadline, tell each
    body's supervisors in one mail about the escalations not yet notified
    (retrying failed mails of the last RETRY_WINDOW), and purge idempotency
    keys older than 24 hours. Commits in batches. Safe to run twice or
    concurrently: a case escalates once, and is mailed about once."""

    now = now or utcnow()
    escalated = 0
    ids = db.session.scalars(sa.select(Case.id).where(overdue_clause(now)).order_by(Case.id)).all()
    for start in range(0, len(ids), SWEEP_BATCH):
        batch = db.session.scalars(
            sa.select(Case)
            .where(Case.id.in_(ids[start : start + SWEEP_BATCH]), overdue_clause(now))
            .order_by(Case.id)
            .with_for_update(skip_locked=True)
        ).all()
        for case in batch:
            try:
                perform(case, "escalate", None, reason=_system_reason("overdue"), now=now)
            except TransitionError:
                continue
            escalated += 1
        # The mail is sent below, as one digest per body, not by the commit hook.
        db.session.info.pop(_PENDING, None)
        db.session.commit()

    notified = 0
    bodies = db.session.scalars(
        sa.select(Case.body_id)
        .where(
            Case.state == "escalated",
            Case.escalation_notified_at.is_(None),
            Case.escalated_at >= now - RETRY_WINDOW,
            Case.body_id.is_not(None),
        )
        .distinct()
        .order_by(Case.body_id)
    ).all()
    for body_id in bodies:
        notified += deliver_digest(db.session, body_id, now)

    purged = db.session.execute(
        sa.delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < now - timedelta(hours=24))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return {"escalated": escalated, "notified": notified, "purged": purged or 0}
