"""The reporter's pages: /report, the receipt shown once, /followup, /pulse.

Views are thin: read the form, call tracker.intake.schema and
tracker.intake.services, commit once, redirect (POST/redirect/GET).

Follow-up design: the receipt is typed once (POST, never in a URL). After a
successful lookup only the report id and a timestamp are kept, encrypted, in
the signed (but readable) session cookie, for FOLLOWUP_SESSION_MINUTES of inactivity, so that the
reporter can add information, switch language or reload without retyping the
receipt, and the receipt itself is never echoed back into a page. "Close"
forgets it at once; so does the end of the browser session.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker.accounts.permissions import roles_required
from tracker.core.compression import compressible, forbid_compression
from tracker.core.crypto import DecryptionError, decrypt_text, encrypt_text
from tracker.core.db import database_unavailable, safe_rollback
from tracker.core.errors import keep_typed
from tracker.core.i18n import current_language
from tracker.core.params import parse_db_id
from tracker.core.security import CSP
from tracker.core.session_values import get_encrypted, put_encrypted
from tracker.extensions import csrf, db
from tracker.intake import limits, services, steps
from tracker.intake import partner as partner_services
from tracker.intake.forms import FollowupForm, FollowupPhotoForm, MessageForm, PulseForm, ReportForm, attach_errors, labelled
from tracker.intake.models import Report
from tracker.intake.permissions import can_follow_up_filed_report, can_view_filed_report, can_view_filed_reports
from tracker.intake.photos import UploadedPhoto, process_photos
from tracker.intake.receipts import format_receipt, normalise_receipt
from tracker.intake.schema import PULSE_KEYS, validate_message, validate_pulse, validate_report
from tracker.intake.statuses import STATES
from tracker.reference.maps import district_map, district_map_version

bp = Blueprint("intake", __name__, template_folder="templates")

RECEIPT_SESSION_KEY = "receipt_once"
PARTNER_FILED_SESSION_KEY = "partner_filed_once"
FOLLOWUP_SESSION_KEY = "followup"
FOLLOWUP_SESSION_MINUTES = 15


def _now() -> int:
    return int(time.time())


def _filing_partner():
    """The partner filing on someone's behalf (assisted intake), if any."""
    if current_user and current_user.is_authenticated and getattr(current_user, "role", None) == "partner":
        return current_user._get_current_object()
    return None


def _uploaded_photos() -> list[UploadedPhoto]:
    # Read one at a time by process_photos: larger uploads stay spooled on
    # disk until their turn, so a request holds one photo's bytes at most.
    return [UploadedPhoto(storage.filename, stream=storage.stream)
            for storage in request.files.getlist("photos") if storage and storage.filename]


def _too_many(page: str, refusal: limits.Refusal):
    """A refused form: the re-rendered page, with status 429 and Retry-After."""
    resp = current_app.make_response((page, 429))
    resp.headers["Retry-After"] = str(refusal.retry_after)
    return resp


def _show_receipt(result: services.SubmitResult):
    """Keep the receipt (encrypted) for the page that shows it once."""
    session[RECEIPT_SESSION_KEY] = encrypt_text(result.receipt).decode()
    if _filing_partner() is not None:
        session[PARTNER_FILED_SESSION_KEY] = result.report.id
    else:
        session.pop(PARTNER_FILED_SESSION_KEY, None)
    return redirect(url_for("intake.receipt"))


@bp.route("/report", methods=["GET", "POST"])
@compressible
def report():
    """The report form, in steps (tracker.intake.steps); moving between steps
    stores nothing and is never limited. A re-send of a report already filed
    (same idempotency key) shows its receipt and is never refused. Anonymous
    sends are otherwise limited per (hashed) address, on the counter the API
    shares (tracker.intake.limits); a refused form comes back with everything
    typed and says when to send it again. Signed-in partners filing for
    community members are not limited, since an assisted-intake session at
    one office may file many reports."""
    lang = current_language()
    form = ReportForm(lang=lang)
    errors: dict[str, str] = {}
    photos_sent = False
    current = 1
    if request.method == "POST":
        action, target = steps.parse_nav(request.form.get("nav"), steps.parse_step(request.form.get("step")))
        if action == "send":
            raw = form.to_raw(lang)
            replay = services.filed_submission(raw.get("idempotency_key"))
            if replay is not None:
                return _show_receipt(replay)
            uploaded = _uploaded_photos()
            photos_sent = bool(uploaded)
            refusal = None
            if _filing_partner() is None:
                refusal = limits.admit_report(services.idempotency_token(raw.get("idempotency_key")))
            if refusal is not None:
                here = steps.parse_step(request.form.get("step"))
                page = _render_report(form, {}, photos_sent, here, 429,
                                      refused=limits.refusal_message(refusal, "report"))[0]
                return _too_many(page, refusal)
            data, problems = validate_report(raw, strict_types=False)
            processed, photo_errors = process_photos(uploaded) if uploaded else ([], [])
            if photo_errors:
                problems = {**problems, "photos": " ".join(photo_errors)}
            if not problems:
                result = services.submit_report(data, photos=processed, filed_by=_filing_partner(), key_checked=True)
                db.session.commit()
                return _show_receipt(result)
            errors = attach_errors(form, problems)
            current = steps.first_error_step(errors)
        elif action == "next":
            here = steps.parse_step(request.form.get("step"))
            _data, problems = validate_report(form.to_raw(lang), strict_types=False)
            errors = attach_errors(form, steps.errors_for_step(problems, here))
            current = here if errors else target
        else:
            current = target
    return _render_report(form, errors, photos_sent, current, 200 if not errors else 400)


def _render_report(form: ReportForm, errors: dict, photos_sent: bool, current: int, status: int,
                   notice: str | None = None, refused: str | None = None):
    """The report form showing step ``current`` (every answer carried in it)."""
    form.load_choices()
    return (
        render_template("intake/report.html", form=form, errors=errors, photos_sent=photos_sent, notice=notice,
                        refused=refused,
                        partner=_filing_partner(), steps=steps.STEPS, current=current, step_of=steps.step_of,
                        region_map=_map_version(), review=steps.review_rows(form),
                        fresh=request.method == "GET"),
        status,
    )


def _map_version() -> str | None:
    """The district map's version, or None (no map: the list alone) while the
    database is away, so that the form can still be shown again as typed."""
    try:
        return district_map_version()
    except sa.exc.SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        safe_rollback(db.session)
        return None


def _report_again(message: str, status: int):
    """The report form again with everything typed and ``message``, when its
    POST was refused (CSRF or origin check) or could not be saved (database
    away: 503). The idempotency key is kept, so sending again files once."""
    form = ReportForm(lang=current_language())
    photos_sent = any(s and s.filename for s in request.files.getlist("photos"))
    return _render_report(form, {}, photos_sent, steps.parse_step(request.form.get("step")), status, notice=message)


def _followup_again(message: str, status: int):
    """The follow-up page again with the typed message and ``message`` next
    to it, when sending it was refused; None (the error page) otherwise."""
    if request.form.get("action") != "message":
        return None
    report = _followup_report()
    if report is None:
        return None
    view = services.followup_view(report, current_language())
    return (
        render_template("intake/followup_status.html", view=view, message_form=MessageForm(),
                        photo_form=FollowupPhotoForm(), errors={"body": message}),
        status,
    )


@bp.record_once
def _keep_typed(state) -> None:
    keep_typed(state.app, "intake.report", _report_again)
    keep_typed(state.app, "intake.followup", _followup_again)


@bp.get("/report/districts.svg")
def districts_svg():
    """The "where" step's map, fetched by report.js (only pages with JavaScript
    use it) and kept by the offline worker under its versioned URL."""
    svg = district_map()
    if svg is None:
        abort(404)
    return Response(str(svg), mimetype="image/svg+xml")


@bp.get("/sw.js")
def service_worker():
    """The offline worker (static/sw.js) served from the site root so that its
    scope covers /report. Pages it serves from its cache get this CSP."""
    body = render_template("intake/sw.js", csp=CSP)
    response = Response(body, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})
    response.add_etag()  # the browser's update checks then cost a 304
    return response.make_conditional(request)


@bp.get("/report/receipt")
def receipt():
    """Show the receipt once: it is removed from the session as this page renders."""
    token = session.pop(RECEIPT_SESSION_KEY, None)
    filed_id = session.pop(PARTNER_FILED_SESSION_KEY, None)
    code = None
    if token:
        try:
            code = decrypt_text(token.encode())
        except (DecryptionError, AttributeError):
            code = None
    if not code:
        return render_template("intake/receipt_gone.html")
    partner = _filing_partner()
    filed = None
    if partner is not None and isinstance(filed_id, int):
        found = db.session.get(Report, filed_id)
        filed = found if can_view_filed_report(partner, found) else None
    return render_template("intake/receipt.html", receipt=format_receipt(code), partner=partner, filed=filed)


@bp.post("/exit")
@csrf.exempt  # forgetting is harmless whoever asks, and Quick exit cannot wait for a token
def quick_exit():
    """Quick exit (tracker.js) calls this as it leaves: the follow-up lookup
    and a receipt not yet shown are forgotten, so that a page of this site
    that the history brings back (Back, Forward) cannot show them again.
    A staff sign-in is left alone: it is not the reporter's."""
    for key in (FOLLOWUP_SESSION_KEY, RECEIPT_SESSION_KEY, PARTNER_FILED_SESSION_KEY):
        session.pop(key, None)
    return Response(status=204)


def _remember_followup(report: Report, now: int) -> None:
    """Remember a successful lookup for this browser session. The session
    cookie is signed but readable, so the report id and the time are kept
    encrypted with the field keys: the cookie shows an opaque value."""
    put_encrypted(FOLLOWUP_SESSION_KEY, {"id": report.id, "at": now})


def _followup_report() -> Report | None:
    """The report found by a lookup in this browser session, if still fresh."""
    state = get_encrypted(FOLLOWUP_SESSION_KEY)
    if state is None:
        session.pop(FOLLOWUP_SESSION_KEY, None)
        return None
    now = _now()
    if not isinstance(state.get("at"), int) or now - state["at"] > FOLLOWUP_SESSION_MINUTES * 60:
        session.pop(FOLLOWUP_SESSION_KEY, None)
        return None
    report = db.session.get(Report, state.get("id")) if isinstance(state.get("id"), int) else None
    if report is None:
        session.pop(FOLLOWUP_SESSION_KEY, None)
        return None
    _remember_followup(report, now)
    return report


@bp.route("/followup", methods=["GET", "POST"])
@compressible
def followup():
    """Look a report up by its receipt, then show its status and messages.
    Lookups are limited before the receipt is hashed (tracker.intake.limits,
    shared with the API): wrong codes per address, and a global budget of
    receipt hashes; only wrong codes count against the address."""
    lang = current_language()
    action = request.form.get("action", "lookup") if request.method == "POST" else None
    lookup_form = FollowupForm()
    message_form = MessageForm()
    errors: dict[str, str] = {}

    if action == "close":
        session.pop(FOLLOWUP_SESSION_KEY, None)
        return redirect(url_for("intake.followup"))

    if action == "lookup":
        typed = lookup_form.receipt.data
        refusal = limits.admit_lookup(hashing=normalise_receipt(typed) is not None)
        if refusal is not None:
            refused = limits.refusal_message(refusal, "lookup")
            page = render_template("intake/followup_lookup.html", form=lookup_form, errors=errors, refused=refused)
            return _too_many(page, refusal)
        found = services.lookup_report(typed)
        if found is not None:
            _remember_followup(found, _now())
            return redirect(url_for("intake.followup"))
        limits.lookup_failed()
        errors["receipt"] = _(
            "We found no report with this code. Check the 16 digits and try again. "
            "After several wrong attempts you will have to wait."
        )
        return render_template("intake/followup_lookup.html", form=lookup_form, errors=errors), 400

    report = _followup_report()
    if report is None:
        if action in ("message", "photos"):
            flash(_("For your safety the page was closed. Please enter your receipt code again."), "info")
            return redirect(url_for("intake.followup"))
        return render_template("intake/followup_lookup.html", form=lookup_form, errors=errors)

    if action == "message":
        body, problems = validate_message(message_form.body.data, strict_types=False)
        if not problems:
            services.add_reporter_message(report, body)
            db.session.commit()
            flash(_("Thank you. Your information was sent."), "success")
            return redirect(url_for("intake.followup"))
        errors = problems

    if action == "photos":
        uploaded = _uploaded_photos()
        processed, photo_errors = process_photos(uploaded) if uploaded else ([], [])
        if not photo_errors:
            try:
                added = services.add_reporter_photos(report, processed)
            except ValueError as exc:
                photo_errors = [str(exc)]
            else:
                db.session.commit()
                flash(ngettext("Thank you. %(num)d photo was added.", "Thank you. %(num)d photos were added.", added),
                      "success")
                return redirect(url_for("intake.followup"))
        errors = {"photos": " ".join(photo_errors)}

    forbid_compression()  # case content and the reporter's own words
    view = services.followup_view(report, lang)
    return (
        render_template("intake/followup_status.html", view=view, message_form=message_form,
                        photo_form=FollowupPhotoForm(), errors=errors),
        400 if errors else 200,
    )


@bp.route("/pulse", methods=["GET", "POST"])
@compressible
def pulse():
    """The trust pulse on its own; limited per address like the API's."""
    lang = current_language()
    form = PulseForm(lang=lang)
    errors: dict[str, str] = {}
    if request.method == "POST":
        refusal = limits.admit_pulse()
        if refusal is not None:
            refused = limits.refusal_message(refusal, "pulse")
            return _too_many(render_template("intake/pulse.html", form=form, errors=errors, refused=refused), refusal)
        data, problems = validate_pulse(form.to_raw(lang), strict_types=False)
        if not problems:
            services.record_pulse_data(data)
            db.session.commit()
            return redirect(url_for("intake.pulse_thanks"))
        errors = labelled(form, {(f"pulse_{k}" if k in PULSE_KEYS else k if k == "region" else "_form"): v
                                 for k, v in problems.items()})
    return render_template("intake/pulse.html", form=form, errors=errors), 400 if errors else 200


@bp.get("/pulse/thanks")
@compressible
def pulse_thanks():
    return render_template("intake/pulse_thanks.html")


# --------------------------------------------------------------- partners
# DESIGN §1: a partner sees the reports their organisation filed, their
# statuses and message threads, and follows up on them, without the receipt.


@bp.get("/partner/reports")
@roles_required("partner")
def partner_reports():
    if not can_view_filed_reports(current_user):
        abort(403)
    status = request.args.get("status") or None
    raw_after = request.args.get("after") or None
    after = parse_db_id(raw_after) if raw_after else None
    # A hand-made link (an unknown status, a cursor that is not an id the
    # database can hold) is the client's mistake: the first page, with 400.
    bad_link = (status is not None and status not in STATES) or bool(raw_after and after is None)
    if status not in STATES:
        status = None
    page = partner_services.list_filed_reports(
        current_user.organisation_id, status=status, after=after, lang=current_language(),
        page_size=partner_services.PAGE_SIZE,
    )
    return render_template("intake/partner_reports.html", page=page, status=status, states=STATES,
                           organisation=current_user.organisation, after=after), (400 if bad_link else 200)


@bp.route("/partner/reports/<int:report_id>", methods=["GET", "POST"])
@roles_required("partner")
def partner_report(report_id: int):
    report = db.session.get(Report, report_id)
    if report is None or not can_view_filed_report(current_user, report):
        abort(404)  # another organisation's report does not exist for this partner
    form = MessageForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not can_follow_up_filed_report(current_user, report):
            abort(404)
        body, problems = validate_message(form.body.data, strict_types=False)
        if not problems:
            services.add_reporter_message(report, body, by=current_user._get_current_object())
            db.session.commit()
            flash(_("Your information was added to the report."), "success")
            return redirect(url_for("intake.partner_report", report_id=report.id))
        errors = problems
    view = partner_services.filed_report_view(
        report, lang=current_language(), organisation_id=current_user.organisation_id
    )
    return (
        render_template("intake/partner_report.html", view=view, message_form=form, errors=errors),
        400 if errors else 200,
    )
