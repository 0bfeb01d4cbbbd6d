"""Pages of the oversight side: the queue, the case page and its actions,
photos, the audit trail and the CSV export. Views parse, call one service,
commit once and redirect; the rules live in workflow.py and permissions.py.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.accounts.permissions import roles_required
from tracker.cases import permissions as perm
from tracker.cases import workflow
from tracker.cases.audit_trail import audit_events, body_people, describe, parse_audit_filters
from tracker.cases.models import NOTE_KINDS, OUTCOMES, STATES, VERIFICATION_GRADES, Case, CaseNote
from tracker.cases.queue import SORT_LABELS, SORTS, CursorError, count_matching, counts, parse_filters, queue_page
from tracker.cases.workflow import ACTIONS, TransitionError
from tracker.core.db import utcnow
from tracker.core.params import parse_db_id
from tracker.extensions import db
from tracker.intake.models import NEEDS, PARTS_OF_DAY, PRECISIONS, RELATIONSHIPS, SEVERITIES, VICTIM_GROUPS, Photo, Report, ReportCategory

bp = Blueprint("cases", __name__, template_folder="templates")

CASE_STAFF = ("officer", "supervisor")


@bp.after_request
def _no_store(resp):
    # Case pages show report data: never cached, never kept by a browser.
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp


def _labels() -> dict:
    from tracker.reference.models import CATEGORIES

    tables = {
        "states": STATES,
        "severities": SEVERITIES,
        "categories": CATEGORIES,
        "outcomes": OUTCOMES,
        "grades": VERIFICATION_GRADES,
        "actions": ACTIONS,
        "needs": NEEDS,
        "relationships": RELATIONSHIPS,
        "victim_groups": VICTIM_GROUPS,
        "precisions": PRECISIONS,
        "parts_of_day": PARTS_OF_DAY,
        "note_kinds": NOTE_KINDS,
        "audit_actions": workflow.audit_labels(),
    }
    # Translate each label once per request, not once per row.
    return {name: {code: str(label) for code, label in table.items()} for name, table in tables.items()}


# ------------------------------------------------------------------- queue


def _filter_choices() -> dict:
    from tracker.reference.models import Force, Region

    regions = db.session.scalars(sa.select(Region).where(Region.level >= 1).order_by(Region.pcode)).all()
    forces = db.session.scalars(sa.select(Force).order_by(Force.code)).all()
    return {"regions": regions, "forces": forces}


def _queue_extras(cases: list[Case]) -> dict:
    """Categories and region names for one page of cases (two queries)."""
    from tracker.reference.models import Region

    ids = [c.id for c in cases]
    cats: dict[int, list[str]] = {}
    if ids:
        for cid, cat in db.session.execute(
            sa.select(Report.case_id, ReportCategory.category)
            .join(ReportCategory, ReportCategory.report_id == Report.id)
            .where(Report.case_id.in_(ids))
            .order_by(ReportCategory.category)
            .distinct()
        ):
            cats.setdefault(cid, []).append(cat)
    region_ids = {c.region_id for c in cases if c.region_id}
    regions = (
        {r.id: r for r in db.session.scalars(sa.select(Region).where(Region.id.in_(region_ids)))} if region_ids else {}
    )
    return {"case_categories": cats, "case_regions": regions}


@bp.get("/cases")
@roles_required(*CASE_STAFF)
def queue():
    if not perm.can_view_queue(current_user):
        abort(403)
    filters = parse_filters(request.args)
    raw_sort = request.args.get("sort") or "severity"
    sort = raw_sort if raw_sort in SORTS else "severity"
    cursor = request.args.get("after") or None
    before = request.args.get("before") or None
    bad_link = raw_sort not in SORTS
    try:
        page = queue_page(current_user, filters, cursor, before=before, sort=sort)
    except CursorError:
        flash(_("That page link is no longer valid; showing the first page."), "error")
        page = queue_page(current_user, filters, None, sort=sort)
        cursor = before = None
        bad_link = True
    searched = bool(filters.q) or len(filters.as_args()) > 0
    # A filter, sort or page link that is not valid is the client's mistake
    # (400), shown with its message next to the filters.
    status = 400 if filters.errors or bad_link else 200
    return render_template(
        "cases/queue.html",
        page=page,
        filters=filters,
        cursor=cursor or before,
        sort=sort,
        sorts=SORT_LABELS,
        matching=count_matching(current_user, filters) if searched else None,
        counts=counts(current_user),
        now=utcnow(),
        **_filter_choices(),
        **_queue_extras(page.cases),
        **_labels(),
    ), status


# ------------------------------------------------------------------- case page


def _load(ref: str) -> Case:
    # A NUL byte matches no reference (and PostgreSQL refuses it in a query).
    case = db.session.scalar(sa.select(Case).where(Case.ref == ref)) if "\x00" not in ref else None
    if case is None:
        abort(404)
    return case


def _load_for_work(ref: str) -> Case:
    """The case, if the user may work on it: an officer of another body gets
    404 (the case's existence is not theirs to learn)."""
    case = _load(ref)
    if not perm.can_view_case(current_user, case):
        abort(404)
    return case


def _case_context(case: Case, errors: dict | None = None, values: dict | None = None, contacts=None) -> dict:
    from tracker.accounts.models import User
    from tracker.cases.duplicates import suggest_duplicates
    reports = list(case.reports)
    messages = sorted(
        (m for r in reports for m in r.messages), key=lambda m: (m.created_at, m.id)
    )
    notes = db.session.scalars(
        sa.select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id.desc())
    ).all()
    events, _next = audit_events(current_user, case=case, limit=200)
    officers = db.session.scalars(
        sa.select(User)
        .where(User.body_id == case.body_id, User.role.in_(CASE_STAFF), User.is_active_account.is_(True))
        .order_by(User.email)
    ).all()
    merged_from = db.session.scalars(
        sa.select(Case).where(Case.merged_into_id == case.id).order_by(Case.id)
    ).all()
    return {
        "case": case,
        "reports": reports,
        "messages": messages,
        "notes": notes,
        "events": describe(events, workflow.audit_labels()),
        "officers": officers,
        "moves": workflow.moves_for(case, current_user),
        "can_work": perm.can_work_case(current_user, case),
        "suggestions": suggest_duplicates(case) if perm.can_work_case(current_user, case) else [],
        "merged_from": merged_from,
        "errors": errors or {},
        "values": values or {},
        "contacts": contacts,
        "has_contact": any(r.contact_enc is not None for r in reports),
        "now": utcnow(),
        **_labels(),
    }


@bp.get("/cases/<ref>")
@roles_required(*CASE_STAFF, "partner")
def case(ref: str):
    case = _load(ref)
    if not perm.can_view_case(current_user, case):
        if perm.can_view_status(current_user, case):
            return render_template("cases/status.html", case=case, **_labels())
        abort(404)
    had_news = case.has_news
    if had_news:
        workflow.mark_news_read(case, current_user)
        db.session.commit()
    return render_template("cases/case.html", had_news=had_news, **_case_context(case))


def _redo(case: Case, form: str, exc: TransitionError):
    """Show the case page again with the error next to the field and what
    was typed kept."""
    db.session.rollback()
    case = db.session.get(Case, case.id)
    errors = {form: {exc.field or "_": exc.message}}
    values = {form: request.form.to_dict()}
    code = 404 if exc.code == "forbidden" else 400
    return render_template("cases/case.html", **_case_context(case, errors, values)), code


def _done(case: Case, message: str, anchor: str = ""):
    db.session.commit()  # escalation mails leave from the commit hook
    flash(message, "ok")
    return redirect(url_for("cases.case", ref=case.ref) + anchor)


@bp.post("/cases/<ref>/transition")
@roles_required(*CASE_STAFF)
def transition(ref: str):
    case = _load_for_work(ref)
    action = request.form.get("action", "")
    form = "move-" + action if action in ACTIONS else "move"
    target = request.form.get("target")
    try:
        if action == "merge":
            target_ref = (target or "").strip()
            survivor = (db.session.scalar(sa.select(Case).where(Case.ref == target_ref))
                        if target_ref and "\x00" not in target_ref else None)
            if target_ref and (survivor is None or not perm.can_view_case(current_user, survivor)):
                raise TransitionError(_("No case of your body has this reference."), field="target")
            target = survivor
        workflow.perform(
            case,
            action,
            current_user,
            reason=request.form.get("reason"),
            outcome=request.form.get("outcome") or None,
            target=target,
        )
    except TransitionError as exc:
        return _redo(case, form, exc)
    if action == "merge":
        db.session.commit()
        flash(_("Case %(ref)s was merged into %(target)s.", ref=case.ref, target=target.ref), "ok")
        return redirect(url_for("cases.case", ref=target.ref))
    if action == "propose_escalation":
        return _done(case, _("Escalation proposed: the supervisors of your body have been told."))
    return _done(case, _("Done: the case is now “%(state)s”.", state=STATES[case.state]))


@bp.post("/cases/<ref>/assign")
@roles_required(*CASE_STAFF)
def assign(ref: str):
    from tracker.accounts.models import User

    case = _load_for_work(ref)
    # "Assign to me" is its own button: the select is sent too, whatever it shows.
    raw = "me" if request.form.get("assign_me") else request.form.get("assignee", "")
    if raw == "me":
        assignee = current_user
    elif raw == "":
        assignee = None
    else:
        user_id = parse_db_id(raw)
        assignee = (db.session.get(User, user_id) or False) if user_id else False
    try:
        if assignee is False:
            raise TransitionError(_("Choose an officer of this oversight body."), field="assignee")
        workflow.assign(case, current_user, assignee)
    except TransitionError as exc:
        return _redo(case, "assign", exc)
    return _done(case, _("Assignment saved."))


@bp.post("/cases/<ref>/verification")
@roles_required(*CASE_STAFF)
def verification(ref: str):
    case = _load_for_work(ref)
    try:
        workflow.set_verification(case, current_user, request.form.get("grade", ""))
    except TransitionError as exc:
        return _redo(case, "verification", exc)
    return _done(case, _("Verification grade saved."))


@bp.post("/cases/<ref>/severity")
@roles_required(*CASE_STAFF)
def severity(ref: str):
    case = _load_for_work(ref)
    try:
        workflow.override_severity(case, current_user, request.form.get("severity", ""), request.form.get("reason"))
    except TransitionError as exc:
        return _redo(case, "severity", exc)
    return _done(case, _("Severity changed."))


@bp.post("/cases/<ref>/notes")
@roles_required(*CASE_STAFF)
def add_note(ref: str):
    case = _load_for_work(ref)
    try:
        workflow.add_note(case, current_user, request.form.get("body"))
    except TransitionError as exc:
        return _redo(case, "note", exc)
    return _done(case, _("Note added."), "#notes")


@bp.post("/cases/<ref>/messages")
@roles_required(*CASE_STAFF)
def message(ref: str):

    case = _load_for_work(ref)
    report = None
    raw = request.form.get("report", "")
    if parse_db_id(raw):
        report = db.session.get(Report, parse_db_id(raw))
    try:
        if raw and report is None:
            raise TransitionError(_("This report is not part of the case."), field="report")
        workflow.message_reporter(case, current_user, request.form.get("body"), report=report)
    except TransitionError as exc:
        return _redo(case, "message", exc)
    return _done(case, _("Message sent. The reporter will see it when they follow up."), "#messages")


@bp.post("/cases/<ref>/reveal")
@roles_required(*CASE_STAFF)
def reveal(ref: str):
    """Show contact details once, on this response only (never stored in a
    session or cache); the reveal and its reason are audited."""
    case = _load_for_work(ref)
    try:
        contacts = workflow.reveal_contact(case, current_user, request.form.get("reason"))
    except TransitionError as exc:
        return _redo(case, "reveal", exc)
    db.session.commit()
    return render_template("cases/case.html", **_case_context(case, contacts=contacts))


@bp.get("/cases/<ref>/photos/<int:photo_id>")
@roles_required(*CASE_STAFF)
def photo(ref: str, photo_id: int):
    """A photo, decrypted in memory for this response only."""
    from tracker.core.crypto import decrypt_bytes

    case = _load_for_work(ref)
    item = db.session.get(Photo, photo_id)
    if item is None or db.session.scalar(sa.select(Report.case_id).where(Report.id == item.report_id)) != case.id:
        abort(404)
    resp = Response(decrypt_bytes(item.content_enc), mimetype=item.mime_type)
    resp.headers["Content-Disposition"] = f'inline; filename="photo-{item.id}.jpg"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


# ------------------------------------------------------------------- supervisors


@bp.get("/cases/audit")
@roles_required("supervisor")
def audit():
    if not perm.can_view_audit(current_user):
        abort(403)
    labels = _labels()
    filters = parse_audit_filters(request.args, current_user, labels["audit_actions"])
    before = request.args.get("before", "")
    before_id = parse_db_id(before) if before else None
    if before and before_id is None:
        abort(400)
    events, next_before = audit_events(current_user, filters, before_id=before_id)
    return render_template(
        "cases/audit.html", rows=describe(events, labels["audit_actions"]), next_before=next_before,
        filters=filters, people=body_people(current_user), **labels,
    ), (400 if filters.errors else 200)


@bp.get("/cases/export.csv")
@roles_required("supervisor")
def export():
    from tracker.cases.exports import export_csv

    if not perm.can_export(current_user):
        abort(403)
    filters = parse_filters(request.args)
    if filters.errors:
        abort(400)  # an export holds exactly what was asked for, or nothing
    text = export_csv(current_user, filters)
    db.session.commit()
    resp = Response(text, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="cases-{utcnow():%Y%m%d-%H%M}.csv"'
    return resp
