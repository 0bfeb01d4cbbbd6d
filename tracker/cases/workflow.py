"""The case workflow (DESIGN §4): one table, one function that moves a case,
and the other audited operations on a case.

Every change here writes its audit event in the same transaction and only
flushes: the caller (a view, the API, the CLI) commits once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.audit.labels import EVENT_LABELS
from tracker.audit.service import record
from tracker.cases import permissions as perm
from tracker.cases.deadlines import triage_deadline
from tracker.cases.models import OUTCOMES, STATES, VERIFICATION_GRADES, Case, CaseNote, CaseSearchToken
from tracker.cases.signals import case_moved
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.models import SEVERITY_ORDER, Message, Report

OFFICERS = frozenset({"officer", "supervisor"})
SUPERVISORS = frozenset({"supervisor"})
# "system" is the intake escalation of critical cases and ``sweep``.
SUPERVISORS_OR_SYSTEM = frozenset({"supervisor", "system"})

STAY = "<stay>"  # the move records something but does not change the state
PREVIOUS = "<previous>"  # back to the state the case was paused from

ACTIONS = {
    "triage": _l("Triage"),
    "investigate": _l("Start investigation"),
    "propose_escalation": _l("Propose escalation"),
    "escalate": _l("Escalate"),
    "request_info": _l("Ask the reporter for information"),
    "resume": _l("Information received: resume"),
    "refer": _l("Refer to another institution"),
    "reject": _l("Reject"),
    "resolve": _l("Resolve"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
    "merge": _l("Merge into another case"),
}

OPERATIONS = {
    "opened": _l("Case opened"),
    "assign": _l("Assignment changed"),
    "verification": _l("Verification grade changed"),
    "severity": _l("Severity overridden"),
    "note": _l("Internal note added"),
    "reveal_contact": _l("Contact details revealed"),
    "message": _l("Message sent to the reporter"),
}


def audit_labels() -> dict:
    """Translated titles of every audit event, by action code: the case
    moves and operations here, the rest from tracker.audit.labels."""
    out = dict(EVENT_LABELS)
    out.update({"case." + k: v for k, v in ACTIONS.items()})
    out.update({"case." + k: v for k, v in OPERATIONS.items()})
    out["cases.export"] = _l("Queue exported (CSV)")
    out["message.reporter"] = _l("Reporter sent a message")
    out["photo.reporter"] = _l("Reporter added photos")
    out["report.submitted"] = _l("Report submitted")
    return out


OPEN_STATES = ("new", "triaged", "investigating", "escalated", "awaiting_info")

#: (state, action) → (next state, roles allowed). The whole workflow.
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}


def _allow(states, action: str, next_state: str, roles: frozenset[str]) -> None:
    for state in states:
        TRANSITIONS[(state, action)] = (next_state, roles)


_allow(["new"], "triage", "triaged", OFFICERS)
_allow(["new", "triaged"], "investigate", "investigating", OFFICERS)
_allow(["new", "triaged", "investigating", "awaiting_info"], "propose_escalation", STAY, OFFICERS)
_allow(["new", "triaged", "investigating", "awaiting_info"], "escalate", "escalated", SUPERVISORS_OR_SYSTEM)
_allow(["triaged", "investigating", "escalated"], "request_info", "awaiting_info", OFFICERS)
_allow(["awaiting_info"], "resume", PREVIOUS, OFFICERS)
_allow(["new", "triaged", "investigating", "escalated", "awaiting_info"], "refer", "referred", SUPERVISORS)
_allow(["new", "triaged", "investigating", "awaiting_info"], "reject", "rejected", OFFICERS)
_allow(["investigating", "escalated"], "resolve", "resolved", OFFICERS)
_allow(["resolved", "referred", "rejected"], "close", "closed", SUPERVISORS)
_allow(["closed", "rejected", "resolved", "referred"], "reopen", "investigating", SUPERVISORS)
_allow(["new", "triaged", "investigating", "escalated", "awaiting_info", "rejected"], "merge", "merged", OFFICERS)


@dataclass(frozen=True)
class Context:
    """What a move was given, checked: the reason, outcome, target (an
    institution's name for refer, the surviving case for merge), the state
    before and the time."""

    reason: str
    outcome: str | None
    target: object
    previous: str
    now: datetime


@dataclass(frozen=True)
class Rule:
    """What an action needs beyond (state, role) and what it does besides
    changing the state. ``guard`` must hold for the action to be offered and
    allowed (its ``refusal`` is said otherwise); ``effect`` changes the case."""

    needs_reason: bool = False
    needs_outcome: bool = False
    target: str | None = None  # "institution" (refer) or "case" (merge)
    guard: Callable[[Case], bool] | None = None
    refusal: object = None
    effect: Callable[[Case, Context], None] | None = None


def _triaged(case: Case, ctx: Context) -> None:
    case.triaged_at = ctx.now


def _investigating(case: Case, ctx: Context) -> None:
    if case.triaged_at is None:
        case.triaged_at = ctx.now


def _proposed(case: Case, ctx: Context) -> None:
    case.escalation_proposed_at = ctx.now


def _escalated(case: Case, ctx: Context) -> None:
    case.escalated_at = ctx.now
    case.escalation_proposed_at = None
    case.escalation_notified_at = None


def _paused(case: Case, ctx: Context) -> None:
    case.paused_from = ctx.previous


def _resumed(case: Case, ctx: Context) -> None:
    case.paused_from = None


def _referred(case: Case, ctx: Context) -> None:
    case.referred_to = ctx.target


def _resolved(case: Case, ctx: Context) -> None:
    case.outcome = ctx.outcome
    case.resolved_at = ctx.now


def _reopened(case: Case, ctx: Context) -> None:
    case.outcome = None
    case.resolved_at = None


def _merged(case: Case, ctx: Context) -> None:
    _merge_into(case, ctx.target)


RULES: dict[str, Rule] = {
    "triage": Rule(effect=_triaged),
    "investigate": Rule(effect=_investigating),
    # A pending proposal is not proposed again; a supervisor decides.
    "propose_escalation": Rule(
        needs_reason=True, effect=_proposed, guard=lambda case: case.escalation_proposed_at is None,
        refusal=_l("Escalation was already proposed; a supervisor of your body will decide."),
    ),
    "escalate": Rule(needs_reason=True, effect=_escalated),
    "request_info": Rule(effect=_paused),
    "resume": Rule(effect=_resumed),
    "refer": Rule(needs_reason=True, target="institution", effect=_referred),
    "reject": Rule(needs_reason=True),
    "resolve": Rule(needs_outcome=True, effect=_resolved),
    "close": Rule(),
    "reopen": Rule(needs_reason=True, effect=_reopened),
    "merge": Rule(target="case", effect=_merged),
}


class TransitionError(Exception):
    """A move or operation that the rules refuse. ``message`` is translated
    and safe to show; ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None, code: str = "refused"):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.code = code


def _role_of(actor) -> str:
    return "system" if actor is None else (getattr(actor, "role", None) or "")


def _check_actor(case: Case, actor) -> None:
    if actor is None:
        return
    if not perm.can_view_case(actor, case):
        raise TransitionError(_("You may only work on cases of your own oversight body."), code="forbidden")


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _note(case: Case, actor, body: str, kind: str, action: str | None) -> CaseNote:
    note = CaseNote(case_id=case.id, author_user_id=getattr(actor, "id", None), kind=kind, action=action)
    note.body = body
    db.session.add(note)
    db.session.flush()
    return note


def _audit(action: str, case: Case, actor, **data) -> None:
    record(
        "case." + action,
        actor=actor,
        actor_role=_role_of(actor),
        body_id=case.body_id,
        object_type="case",
        object_id=case.id,
        data={k: v for k, v in data.items() if v is not None},
    )


def allowed_actions(case: Case, actor) -> list[str]:
    """The moves this actor may make now (for templates and the API)."""
    if actor is not None and not perm.can_work_case(actor, case):
        return []
    role = _role_of(actor)
    return [
        a for a in ACTIONS
        if (case.state, a) in TRANSITIONS and role in TRANSITIONS[(case.state, a)][1]
        and (RULES[a].guard is None or RULES[a].guard(case))
    ]


def check(case: Case, action: str, actor) -> str:
    """Return the next state if the rule allows ``actor`` to do ``action``
    on ``case`` now; raise TransitionError otherwise."""
    if action not in ACTIONS:
        raise TransitionError(_("Unknown action."), field="action", code="unknown_action")
    _check_actor(case, actor)
    rule = TRANSITIONS.get((case.state, action))
    if rule is None:
        raise TransitionError(
            _(
                "A case that is “%(state)s” cannot be moved with “%(action)s”.",
                state=STATES.get(case.state, case.state),
                action=ACTIONS[action],
            ),
            field="action",
            code="not_allowed_in_state",
        )
    next_state, roles = rule
    if _role_of(actor) not in roles:
        if action == "escalate":
            msg = _("Only a supervisor can escalate. Propose the escalation instead.")
        else:
            msg = _("Only a supervisor can do this.")
        raise TransitionError(msg, field="action", code="role")
    guard = RULES[action].guard
    if guard is not None and not guard(case):
        raise TransitionError(str(RULES[action].refusal), field="action", code="guard")
    return next_state


def perform(
    case: Case,
    action: str,
    actor,
    *,
    reason: str | None = None,
    outcome: str | None = None,
    target: Case | str | None = None,
    now: datetime | None = None,
) -> Case:
    """Move ``case`` with ``action`` for ``actor`` (a User, or None for the
    system), enforcing TRANSITIONS, the actor's body, and the required
    reason (reject, escalate, propose, refer, reopen), outcome (resolve),
    institution (refer) and target case (merge). Writes one audit event;
    the caller commits. Raises TransitionError and changes nothing otherwise.

    ``target`` is the surviving Case for ``merge`` and the institution and
    its reference (text) for ``refer``.
    """
    next_state = check(case, action, actor)
    rule = RULES[action]
    reason = _clean(reason)
    if rule.needs_reason and not reason:
        raise TransitionError(_("Please give a reason."), field="reason", code="reason_required")
    if rule.needs_outcome and outcome not in OUTCOMES:
        raise TransitionError(_("Please choose an outcome."), field="outcome", code="outcome_required")
    ctx = Context(reason, outcome if rule.needs_outcome else None, _checked_target(case, rule, target),
                  case.state, now or utcnow())
    note_id = _note(case, actor, ctx.reason, "reason", action).id if ctx.reason else None
    if next_state == PREVIOUS:
        next_state = case.paused_from if case.paused_from in OPEN_STATES else "investigating"
    if rule.effect is not None:
        rule.effect(case, ctx)
    if next_state != STAY:
        case.state = next_state
    case.updated_at = ctx.now
    db.session.flush()
    _audit(
        action,
        case,
        actor,
        **{"from": ctx.previous, "to": case.state},
        outcome=ctx.outcome,
        target_case_id=ctx.target.id if isinstance(ctx.target, Case) else None,
        note_id=note_id,
    )
    case_moved.send(None, case=case, action=action, actor=actor)
    return case


def _checked_target(case: Case, rule: Rule, target):
    """The institution (text, for refer) or the surviving case (for merge),
    checked; None for actions that take no target."""
    if rule.target == "institution":
        text = _clean(target if isinstance(target, str) else None)
        if not text:
            raise TransitionError(
                _("Please name the institution and its reference."), field="target", code="target_required"
            )
        if len(text) > 200:
            raise TransitionError(_("Please keep this under 200 characters."), field="target", code="too_long")
        return text
    if rule.target == "case":
        survivor = target if isinstance(target, Case) else None
        if survivor is None:
            raise TransitionError(_("Please choose the case to merge into."), field="target", code="target_required")
        if survivor.id == case.id:
            raise TransitionError(_("A case cannot be merged into itself."), field="target", code="target_invalid")
        if survivor.body_id != case.body_id:
            raise TransitionError(
                _("Cases can only be merged within the same oversight body."), field="target", code="target_invalid"
            )
        if survivor.state in ("merged", "closed"):
            raise TransitionError(
                _("The case to merge into is already merged or closed."), field="target", code="target_invalid"
            )
        return survivor
    return None


def _merge_into(case: Case, survivor: Case) -> None:
    """Reports (and their search tokens) move to the survivor; the merged
    case points to it. The survivor keeps the higher severity."""
    db.session.execute(sa.update(Report).where(Report.case_id == case.id).values(case_id=survivor.id))
    db.session.execute(
        sa.update(CaseSearchToken).where(CaseSearchToken.case_id == case.id).values(case_id=survivor.id)
    )
    case.merged_into_id = survivor.id
    if case.severity_rank < survivor.severity_rank:
        survivor.severity, survivor.severity_rank = case.severity, case.severity_rank
    survivor.has_news = survivor.has_news or case.has_news
    case.has_news = False
    db.session.expire(case, ["reports"])
    db.session.expire(survivor, ["reports"])


# ---------------------------------------------------------------- operations


def _require_work(case: Case, actor, check_fn=perm.can_work_case) -> None:
    if not check_fn(actor, case):
        if perm.can_view_case(actor, case):
            raise TransitionError(_("This case was merged into another one; work on that case."), code="merged")
        raise TransitionError(_("You may only work on cases of your own oversight body."), code="forbidden")


def assign(case: Case, actor, assignee) -> Case:
    """Assign to oneself or another officer/supervisor of the same body
    (None unassigns). Audited."""
    _require_work(case, actor, perm.can_assign)
    if assignee is not None and not (perm.is_case_worker(assignee) and assignee.body_id == case.body_id):
        raise TransitionError(_("Choose an officer of this oversight body."), field="assignee", code="assignee_invalid")
    previous = case.assigned_to_id
    case.assigned_to_id = assignee.id if assignee is not None else None
    case.updated_at = utcnow()
    db.session.flush()
    _audit("assign", case, actor, from_user_id=previous, to_user_id=case.assigned_to_id)
    return case


def set_verification(case: Case, actor, grade: str) -> Case:
    """Change the verification grade (separate from the state). Audited."""
    _require_work(case, actor, perm.can_grade)
    if grade not in VERIFICATION_GRADES:
        raise TransitionError(_("Please choose a verification grade."), field="grade", code="grade_invalid")
    previous = case.verification
    case.verification = grade
    case.updated_at = utcnow()
    db.session.flush()
    _audit("verification", case, actor, **{"from": previous, "to": grade})
    return case


def override_severity(case: Case, actor, severity: str, reason: str | None) -> Case:
    """Override the computed severity, with a written reason. Audited.
    The triage deadline follows the new severity if the case is still new."""

    _require_work(case, actor, perm.can_override_severity)
    if severity not in SEVERITY_ORDER:
        raise TransitionError(_("Please choose a severity."), field="severity", code="severity_invalid")
    reason = _clean(reason)
    if not reason:
        raise TransitionError(_("Please give a reason."), field="reason", code="reason_required")
    previous = case.severity
    note = _note(case, actor, reason, "reason", "severity")
    case.severity = severity
    case.severity_rank = SEVERITY_ORDER[severity]
    case.severity_overridden = True
    if case.state == "new":
        case.triage_due_at = case.created_at + triage_deadline(severity)
    case.updated_at = utcnow()
    db.session.flush()
    _audit("severity", case, actor, **{"from": previous, "to": severity}, note_id=note.id)
    return case


def add_note(case: Case, actor, body: str | None) -> CaseNote:
    """An internal note (never shown to the reporter). Audited by id."""
    _require_work(case, actor, perm.can_add_note)
    body = _clean(body)
    if not body:
        raise TransitionError(_("Please write the note."), field="body", code="body_required")
    if len(body) > 10000:
        raise TransitionError(_("Please keep this under 10,000 characters."), field="body", code="too_long")
    note = _note(case, actor, body, "note", None)
    _audit("note", case, actor, note_id=note.id)
    return note


def reveal_contact(case: Case, actor, reason: str | None) -> list[dict]:
    """Decrypt the contact details of the case's reports, for an officer who
    gives a reason. The reveal is audited (ids only); returns
    ``[{"report_id", "contact", "consent_contact"}]``."""
    _require_work(case, actor, perm.can_reveal_contact)
    reason = _clean(reason)
    if not reason:
        raise TransitionError(_("Please give a reason."), field="reason", code="reason_required")
    note = _note(case, actor, reason, "reason", "reveal_contact")
    out = [
        {"report_id": r.id, "contact": r.contact, "consent_contact": r.consent_contact}
        for r in case.reports
        if r.contact_enc is not None
    ]
    _audit("reveal_contact", case, actor, note_id=note.id, report_ids=[o["report_id"] for o in out])
    return out


def message_reporter(case: Case, actor, body: str | None, report=None):
    """Send a message to the reporter (the case's first report, or the one
    given); they read it at /followup. Audited by id."""

    _require_work(case, actor, perm.can_message_reporter)
    body = _clean(body)
    if not body:
        raise TransitionError(_("Please write the message."), field="body", code="body_required")
    if len(body) > 5000:
        raise TransitionError(_("Please keep this under 5,000 characters."), field="body", code="too_long")
    reports = list(case.reports)
    if report is None:
        if not reports:
            raise TransitionError(_("This case has no report to answer."), code="no_report")
        report = reports[0]
    elif report.case_id != case.id:
        raise TransitionError(_("This report is not part of the case."), field="report", code="report_invalid")
    msg = Message(report_id=report.id, sender="officer", author_user_id=actor.id)
    msg.body = body
    db.session.add(msg)
    db.session.flush()
    _audit("message", case, actor, message_id=msg.id, report_id=report.id)
    return msg


def mark_news_read(case: Case, actor) -> None:
    """Opening a case with news from the reporter clears the flag (not
    audited: it is a view, not a change of substance)."""
    if case.has_news and perm.can_view_case(actor, case):
        case.has_news = False

        db.session.execute(sa.update(Report).where(Report.case_id == case.id).values(has_news=False))
        db.session.flush()


@dataclass
class Move:
    """One allowed action with what its form needs (for templates and API)."""

    action: str
    label: str
    needs_reason: bool
    needs_outcome: bool
    needs_target: bool


def moves_for(case: Case, actor) -> list[Move]:
    return [
        Move(a, str(ACTIONS[a]), RULES[a].needs_reason, RULES[a].needs_outcome, RULES[a].target is not None)
        for a in allowed_actions(case, actor)
    ]
