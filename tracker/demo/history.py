"""A believable audit trail for the synthetic cases of the demo.

The bulk generator (tracker.demo.synthetic) writes cases straight into their
final state, so that a million rows go in fast; their case pages would show
a workflow with no trail. This walks each synthetic case from ``new`` to its
state along the real transition table (tracker.cases.workflow: the same
rules, not a copy), with the times the generator gave it and the body's demo
staff as actors, and appends the events to the hash chain in time order, so
that ``flask --app tracker audit verify`` still passes.
"""
from __future__ import annotations

import random
from collections import deque
from datetime import datetime, timedelta

import sqlalchemy as sa

from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.audit.service import GENESIS, compute_hash, forget_tail
from tracker.cases.models import Case
from tracker.cases.workflow import PREVIOUS, STAY, TRANSITIONS
from tracker.extensions import db
from tracker.intake.models import Message, Report, ReportCategory

#: Actions a path may use, in the order an officer would try them.
_PREFERRED = ("triage", "investigate", "escalate", "request_info", "resolve", "refer", "reject", "close")
#: Who does each action: a supervisor where only supervisors may.
_SUPERVISOR_ONLY = frozenset(a for (_s, a), (_n, roles) in TRANSITIONS.items() if "officer" not in roles)
HISTORY_LIMIT = 50_000  # above this many cases (benchmarks), no history is written
BATCH = 2000


def path_to(start: str, goal: str) -> list[tuple[str, str]]:
    """The shortest list of (action, next state) from ``start`` to ``goal``
    through TRANSITIONS, preferring the usual order of work; [] if none."""
    if start == goal:
        return []
    seen, todo = {start}, deque([(start, [])])
    while todo:
        state, path = todo.popleft()
        for action in _PREFERRED:
            rule = TRANSITIONS.get((state, action))
            if rule is None or rule[0] in (STAY, PREVIOUS):
                continue
            nxt = rule[0]
            if nxt == goal:
                return path + [(action, nxt)]
            if nxt not in seen:
                seen.add(nxt)
                todo.append((nxt, path + [(action, nxt)]))
    return []


def _staff() -> dict[int, dict[str, list[int]]]:
    """Demo staff by body and role: {body id: {"officer": [ids], "supervisor": [ids]}}."""
    out: dict[int, dict[str, list[int]]] = {}
    rows = db.session.execute(sa.select(User.body_id, User.role, User.id).where(
        User.role.in_(("officer", "supervisor")), User.body_id.is_not(None)).order_by(User.id))
    for body_id, role, user_id in rows:
        out.setdefault(body_id, {}).setdefault(role, []).append(user_id)
    return out


def _times(start: datetime, end: datetime, n: int) -> list[datetime]:
    if n <= 0:
        return []
    end = max(end, start + timedelta(minutes=n))
    step = (end - start) / (n + 1)
    return [start + step * (i + 1) for i in range(n)]


def case_events(case: Case, report_id: int, categories: list[str], filed_by: int | None,
                staff: dict[str, list[int]], officer_messages: list[datetime], rng: random.Random) -> list[tuple]:
    """The events of one synthetic case: (time, action, actor id, role, data)."""
    events = [
        (case.created_at, "report.submitted", filed_by, None if filed_by else "reporter",
         {"case_id": case.id, "photos": 0}, "report", report_id),
        (case.created_at, "case.opened", filed_by, None if filed_by else "reporter",
         {"ref": case.ref, "report_id": report_id, "severity": case.severity, "categories": categories},
         "case", case.id),
    ]
    officers = staff.get("officer") or staff.get("supervisor") or []
    supervisors = staff.get("supervisor") or officers
    officer = case.assigned_to_id or (rng.choice(officers) if officers else None)
    state = "new"
    # Critical cases are escalated by the system on intake, when the case's
    # state can still be reached from there.
    if case.severity == "critical" and (case.state == "escalated" or path_to("escalated", case.state)):
        events.append((case.created_at, "case.escalate", None, "system", {"from": "new", "to": "escalated"},
                       "case", case.id))
        state = "escalated"
    steps = path_to(state, case.state)
    first = case.triaged_at or case.created_at + timedelta(hours=2)
    last = case.resolved_at or case.escalated_at or case.updated_at or first
    times = _times(first - timedelta(minutes=1), max(last, first), len(steps))
    if case.assigned_to_id and case.state not in ("new",):
        events.append((first - timedelta(minutes=2), "case.assign", supervisors[0] if supervisors else None,
                       None, {"from_user_id": None, "to_user_id": case.assigned_to_id}, "case", case.id))
    for (action, nxt), when in zip(steps, times, strict=True):
        if action == "triage" and case.triaged_at:
            when = case.triaged_at
        elif action == "escalate" and case.escalated_at:
            when = case.escalated_at
        elif action == "resolve" and case.resolved_at:
            when = case.resolved_at
        elif action == "close" and case.resolved_at:
            when = case.resolved_at + timedelta(days=rng.uniform(1, 10))
        actor = rng.choice(supervisors) if action in _SUPERVISOR_ONLY and supervisors else officer
        data = {"from": state, "to": nxt}
        if action == "resolve":
            data["outcome"] = case.outcome or "unable_to_determine"
        events.append((when, "case." + action, actor, None, data, "case", case.id))
        state = nxt
    for when in officer_messages:
        events.append((when, "case.message", officer, None, {"report_id": report_id}, "case", case.id))
    return events


def write_case_history(first_case_id: int, seed: int = 1, now: datetime | None = None) -> int:
    """Append the trail of every synthetic case from ``first_case_id`` on, in
    time order, to the audit chain. Returns the number of events written;
    0 when there are more than HISTORY_LIMIT cases. Flushes; the caller commits."""
    cases = db.session.scalars(sa.select(Case).where(Case.id >= first_case_id).order_by(Case.id)).all()
    if not cases or len(cases) > HISTORY_LIMIT:
        return 0
    rng = random.Random(seed)
    staff = _staff()
    roles = {uid: role for body in staff.values() for role, uids in body.items() for uid in uids}
    roles.update(dict(db.session.execute(sa.select(User.id, User.role).where(User.role == "partner")).all()))
    ids = [c.id for c in cases]
    reports = {case_id: (rid, filed) for rid, case_id, filed in db.session.execute(
        sa.select(Report.id, Report.case_id, Report.filed_by_user_id).where(Report.case_id.in_(ids)))}
    cats: dict[int, list[str]] = {}
    for rid, cat in db.session.execute(sa.select(ReportCategory.report_id, ReportCategory.category)
                                       .join(Report).where(Report.case_id.in_(ids))):
        cats.setdefault(rid, []).append(cat)
    sent: dict[int, list[datetime]] = {}
    for rid, when in db.session.execute(sa.select(Message.report_id, Message.created_at).join(Report).where(
            Report.case_id.in_(ids), Message.sender == "officer")):
        sent.setdefault(rid, []).append(when)
    events = []
    for case in cases:
        if case.id not in reports:
            continue
        rid, filed = reports[case.id]
        for ev in case_events(case, rid, sorted(cats.get(rid, [])), filed, staff.get(case.body_id, {}),
                              sent.get(rid, []), rng):
            events.append((ev, case.body_id))
    events.sort(key=lambda item: (item[0][0], item[0][6] or 0))
    last = db.session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    next_id, prev = (last.id + 1, last.hash) if last else (1, GENESIS)
    rows = []
    for (when, action, actor_id, role, data, object_type, object_id), body_id in events:
        ev = AuditEvent(id=next_id, created_at=when, action=action, actor_user_id=actor_id,
                        actor_role=role or roles.get(actor_id, "system"),
                        body_id=body_id, object_type=object_type, object_id=object_id, data=data, prev_hash=prev)
        ev.hash = compute_hash(ev)
        rows.append({c: getattr(ev, c) for c in ("id", "created_at", "action", "actor_user_id", "actor_role",
                                                 "body_id", "object_type", "object_id", "data", "prev_hash", "hash")})
        prev, next_id = ev.hash, next_id + 1
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(AuditEvent), rows[start:start + BATCH])
    forget_tail()
    db.session.flush()
    return len(rows)
