"""The body's audit trail as a supervisor reads it: filters (case, person,
action, dates) and each event told in the reader's language, with names
instead of ids. The chain itself lives in tracker.audit; this only reads it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from tracker.audit.labels import ROLE_LABELS
from tracker.audit.models import AuditEvent
from tracker.cases.models import OUTCOMES, STATES, VERIFICATION_GRADES, Case
from tracker.extensions import db
from tracker.intake.models import SEVERITIES as SEVERITY_LABELS

PAGE_SIZE = 100

#: Why a sign-in failed (codes recorded by tracker.accounts).
LOGIN_FAILURES = {
    "unknown_account": _l("unknown account"),
    "password": _l("wrong password"),
    "totp": _l("wrong second-factor code"),
    "totp_enrolment": _l("wrong code while setting up the second factor"),
    "disabled": _l("account deactivated"),
    "locked": _l("account locked"),
}


@dataclass
class AuditFilters:
    case: str | None = None  # case reference
    user_id: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    errors: dict = field(default_factory=dict)

    def as_args(self) -> dict:
        out = {}
        if self.case:
            out["case"] = self.case
        if self.user_id:
            out["user"] = str(self.user_id)
        if self.action:
            out["action"] = self.action
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        return out


def _date(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw else None


def parse_audit_filters(args, user, labels: dict) -> AuditFilters:
    """Read the trail's filters from the query string; a value that matches
    nothing of the user's body is reported in ``errors``, never a 500."""
    f = AuditFilters()
    ref = (args.get("case") or "").strip()[:40]
    if ref:
        case_id = None if "\x00" in ref else db.session.scalar(
            sa.select(Case.id).where(Case.ref == ref, Case.body_id == user.body_id))
        if case_id is None:
            f.errors["case"] = _("No case of your body has this reference.")
        else:
            f.case = ref
    raw_user = (args.get("user") or "").strip()
    if raw_user:
        if raw_user.isdigit() and len(raw_user) < 10 and int(raw_user) in dict(body_people(user)):
            f.user_id = int(raw_user)
        else:
            f.errors["user"] = _("Choose a person of your body.")
    action = (args.get("action") or "").strip()
    if action:
        if action in labels:
            f.action = action
        else:
            f.errors["action"] = _("Unknown event.")
    for key, attr in (("from", "date_from"), ("to", "date_to")):
        try:
            setattr(f, attr, _date((args.get(key) or "").strip()))
        except ValueError:
            f.errors[key] = _("Please give a date as YYYY-MM-DD.")
    return f


def body_people(user) -> list[tuple[int, str]]:
    """(id, e-mail) of the accounts of the user's body, for the person filter."""
    from tracker.accounts.models import User

    return list(db.session.execute(
        sa.select(User.id, User.email).where(User.body_id == user.body_id).order_by(User.email)).all())


def audit_events(user, filters: AuditFilters | None = None, before_id: int | None = None,
                 limit: int = PAGE_SIZE, case: Case | None = None) -> tuple[list[AuditEvent], int | None]:
    """The body's audit events, newest first, keyset by id, filtered.
    Returns the events and the ``before`` id of the next page (or None)."""
    filters = filters or AuditFilters()
    stmt = sa.select(AuditEvent).where(AuditEvent.body_id == user.body_id)
    if case is None and filters.case:
        case = db.session.scalar(sa.select(Case).where(Case.ref == filters.case, Case.body_id == user.body_id))
    if case is not None:
        stmt = stmt.where(AuditEvent.object_type == "case", AuditEvent.object_id == case.id)
    if filters.user_id:
        stmt = stmt.where(AuditEvent.actor_user_id == filters.user_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.created_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.created_at < datetime.combine(filters.date_to + timedelta(days=1), time.min))
    if before_id:
        stmt = stmt.where(AuditEvent.id < before_id)
    rows = db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


@dataclass
class TrailRow:
    event: AuditEvent
    title: str
    who: str
    case_ref: str | None
    details: str


def describe(events: list[AuditEvent], labels: dict) -> list[TrailRow]:
    """Each event in words: its title, who did it (an e-mail, or a role),
    the case it concerns and what changed, with labels instead of codes and
    names instead of ids. Unknown keys are left out rather than shown raw."""
    from tracker.accounts.models import User

    user_ids, case_ids = set(), set()
    for e in events:
        user_ids.update(i for i in (e.actor_user_id, (e.data or {}).get("from_user_id"),
                                    (e.data or {}).get("to_user_id")) if isinstance(i, int))
        if e.object_type == "user" and e.object_id:
            user_ids.add(e.object_id)
        if e.object_type == "case" and e.object_id:
            case_ids.add(e.object_id)
        for key in ("target_case_id", "case_id"):
            if isinstance((e.data or {}).get(key), int):
                case_ids.add(e.data[key])
    emails = dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(user_ids))).all()) if user_ids else {}
    refs = dict(db.session.execute(sa.select(Case.id, Case.ref).where(Case.id.in_(case_ids))).all()) if case_ids else {}
    tables = {"verification": VERIFICATION_GRADES, "severity": SEVERITY_LABELS}
    nobody = _("Nobody")
    rows = []
    for e in events:
        data = e.data or {}
        parts = []
        table = tables.get(e.action.removeprefix("case."), STATES)
        if "from" in data and "to" in data and e.action.startswith("case.") and data["from"] != data["to"]:
            parts.append(_("from “%(before)s” to “%(after)s”", before=str(table.get(data["from"], data["from"])),
                           after=str(table.get(data["to"], data["to"]))))
        if e.action == "case.assign":
            parts.append(_("from %(before)s to %(after)s", before=emails.get(data.get("from_user_id"), nobody),
                           after=emails.get(data.get("to_user_id"), nobody)))
        if data.get("outcome"):
            parts.append(_("outcome: %(outcome)s", outcome=str(OUTCOMES.get(data["outcome"], data["outcome"]))))
        if data.get("target_case_id") in refs:
            parts.append(_("into case %(ref)s", ref=refs[data["target_case_id"]]))
        if data.get("note_id"):
            parts.append(_("with a written reason (in the notes)"))
        if isinstance(data.get("report_ids"), list):
            parts.append(ngettext("%(num)s report", "%(num)s reports", len(data["report_ids"])))
        if e.action == "case.opened" and data.get("severity"):
            parts.append(_("severity: %(severity)s", severity=str(SEVERITY_LABELS.get(data["severity"], data["severity"]))))
        if e.action == "auth.login_failed" and data.get("reason") in LOGIN_FAILURES:
            parts.append(str(LOGIN_FAILURES[data["reason"]]))
        if e.action == "auth.locked" and data.get("minutes"):
            parts.append(ngettext("for %(num)s minute", "for %(num)s minutes", int(data["minutes"])))
        if e.object_type == "user" and e.object_id in emails and e.object_id != e.actor_user_id:
            parts.append(_("account: %(email)s", email=emails[e.object_id]))
        if e.action == "cases.export" and "rows" in data:
            parts.append(ngettext("%(num)s case", "%(num)s cases", int(data["rows"])))
        who = emails.get(e.actor_user_id) or str(ROLE_LABELS.get(e.actor_role, _("Someone not signed in")))
        case_ref = refs.get(e.object_id) if e.object_type == "case" else None
        if case_ref is None and isinstance(data.get("case_id"), int):
            case_ref = refs.get(data["case_id"])
        rows.append(TrailRow(e, str(labels.get(e.action, e.action)), who, case_ref, "; ".join(parts)))
    return rows
