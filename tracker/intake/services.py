"""The reporter's side as plain functions, used by the HTML views, the JSON API
and the demo generator alike.

Convention: services take plain arguments, never touch ``request``,
``session`` or ``flash``, and never commit: they add and flush, and the caller
(view, API, CLI) commits once. They need an application context (config,
encryption keys, database) and, for translated labels, a locale.

API::

    from tracker.intake.schema import validate_report, validate_pulse, validate_message
    from tracker.intake.photos import UploadedPhoto, process_photos, PhotoError
    from tracker.intake import services

    data, errors = validate_report(raw, strict_types=True)   # errors: {"harm.killed": "…"}
    processed, photo_errors = process_photos([UploadedPhoto(name, bytes), …])
    result = services.submit_report(data, photos=processed, filed_by=None)
    db.session.commit()
    result.receipt   # "0123456789012345": show it once, formatted with receipts.format_receipt
    result.report    # the Report (result.report.case is its Case)
    result.created   # False when the idempotency key was seen before: same receipt, nothing new

    report = services.lookup_report(text)         # any typed receipt form, or None
    view = services.followup_view(report, "ar")   # {"status", "status_label", "messages": [{"from", "body", "sent_on"}]}
    services.add_reporter_message(report, body)   # body already validated (validate_message)
    services.add_reporter_photos(report, processed)   # photos from process_photos, at /followup
    services.record_pulse("XV0101", {"respect": 4, …}, "en")   # or record_pulse_data(PulseData)

``submit_report`` is safe under retries: a known ``idempotency_key`` returns
the first submission's receipt and creates nothing. Under a race, the primary
key of ``idempotency_key`` is the guard: the loser's transaction is rolled
back (call submit_report before anything else in the transaction; a savepoint
would cost two more round trips on every report for a race that is rare) and
it returns the winner's receipt.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from tracker.audit.service import record
from tracker.core.crypto import decrypt_text, encrypt_bytes, encrypt_text, keyed_hash
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.models import IdempotencyKey, Message, Photo, PulseResponse, Report, ReportCategory
from tracker.intake.photos import ProcessedPhoto, UploadedPhoto, process_photo
from tracker.intake.receipts import generate_receipt, hash_receipt, normalise_receipt
from tracker.intake.schema import MAX_IDEMPOTENCY_KEY, PULSE_KEYS, PulseData, ReportData
from tracker.intake.severity import compute_severity
from tracker.intake.signals import report_submitted, reporter_message_added
from tracker.intake.statuses import OUTCOME_EXPLANATIONS, OUTCOMES, STATES, STATES_WITH_OUTCOME, STATUS_EXPLANATIONS
from tracker.reference.models import Region

IDEMPOTENCY_PURPOSE = "idempotency-key"
#: draws of a receipt before giving up (a clash is one chance in 10**10)
RECEIPT_ATTEMPTS = 3


@dataclass
class SubmitResult:
    receipt: str  # 16 digits, never stored in clear
    report: Report
    created: bool


def _month(day: date) -> date:
    return day.replace(day=1)


def _key_hash(key: str) -> str:
    return keyed_hash(key, IDEMPOTENCY_PURPOSE)


def _existing_for_key(key_hash: str) -> SubmitResult | None:
    row = db.session.get(IdempotencyKey, key_hash)
    if row is None:
        return None
    report = db.session.get(Report, row.report_id)
    return SubmitResult(receipt=decrypt_text(row.receipt_enc), report=report, created=False)


def idempotency_token(key) -> str | None:
    """A keyed hash of a submission's idempotency key (what the database and
    the rate limiter keep; never the key itself), or None for no usable key."""
    if not isinstance(key, str):
        return None
    key = key.replace("\x00", "").strip()  # as the schema normalises it
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        return None
    return _key_hash(key)


def filed_submission(key) -> SubmitResult | None:
    """The report already filed under this idempotency key (a retry), or None.
    Cheap (a keyed hash and a primary-key read): views call it before any
    rate limit, so that a retry of a filed report is never refused."""
    token = idempotency_token(key)
    return _existing_for_key(token) if token is not None else None


def _new_receipt() -> tuple[str, str]:
    """A fresh receipt and its hash. Two reports with one receipt need two
    equal draws of 16 random digits (one chance in 10**10 with a million
    reports on file): rather than a query on every report, the unique index on
    ``Report.receipt_hash`` refuses the second, and submit_report draws again
    (RECEIPT_ATTEMPTS)."""
    receipt = generate_receipt()
    return receipt, hash_receipt(receipt)


def _build_report(data: ReportData, receipt_hash: str, filed_by) -> Report:
    report = Report(
        receipt_hash=receipt_hash,
        created_at=utcnow(),
        language=data.language,
        occurred_on=data.occurred_on,
        occurred_precision=data.occurred_precision,
        part_of_day=data.part_of_day,
        region_id=data.region_id,
        latitude=None if data.latitude is None else round(data.latitude, 2),
        longitude=None if data.longitude is None else round(data.longitude, 2),
        force_id=data.force_id,
        unit_id=data.unit_id,
        operation_id=data.operation_id,
        killed=data.killed,
        injured=data.injured,
        detained=data.detained,
        missing=data.missing,
        displaced_households=data.displaced_households,
        property_damaged=data.property_damaged,
        victims_children=data.victims.get("children", False),
        victims_women=data.victims.get("women", False),
        victims_elderly=data.victims.get("elderly", False),
        victims_disability=data.victims.get("disability", False),
        relationship_to_incident=data.relationship,
        needs=list(data.needs),
        consent_contact=data.consent_contact,
        consent_statistics=data.consent_statistics,
        consent_referral=data.consent_referral,
        severity=compute_severity(data.categories, data.harm, data.victims),
        has_news=False,
    )
    # Encrypted fields go through the model's properties.
    report.narrative = data.narrative
    report.place_description = data.place_description
    report.unit_description = data.unit_description
    report.contact = data.contact if data.consent_contact else None
    report.categories = [ReportCategory(category=code) for code in data.categories]
    if filed_by is not None:
        report.filed_by_user_id = filed_by.id
        report.filed_by_org_id = getattr(filed_by, "organisation_id", None)
    return report


def _store_photos(report: Report, photos: Sequence[ProcessedPhoto | UploadedPhoto]) -> None:
    for photo in photos:
        if isinstance(photo, UploadedPhoto):
            photo = process_photo(photo.filename, photo.data)  # may raise PhotoError
        report.photos.append(
            Photo(
                original_sha256=photo.original_sha256,
                original_size=photo.original_size,
                content_enc=encrypt_bytes(photo.content),
                mime_type=photo.mime_type,
                width=photo.width,
                height=photo.height,
                created_at=utcnow(),
            )
        )


def submit_report(
    data: ReportData,
    *,
    photos: Sequence[ProcessedPhoto | UploadedPhoto] = (),
    filed_by=None,
    key_checked: bool = False,
) -> SubmitResult:
    """File a validated report (DESIGN §3): create the report, its photos and
    its case, record "report.submitted", store the trust pulse (if answered)
    unlinked from the report, and return the receipt to show once.

    Idempotent on ``data.idempotency_key``: a retry returns the first receipt
    with ``created=False`` and creates nothing. ``filed_by`` is the partner
    User filing on someone's behalf (assisted intake), or None.
    Photos should be processed beforehand (process_photos) so that their errors
    can be shown with the form; raw UploadedPhoto are processed here and may
    raise PhotoError. ``key_checked``: the caller has just found no report
    filed under this key (filed_submission), so it is not looked up again
    (the primary key still guards a concurrent resend). Flushes; the caller
    commits.
    """
    key_hash = _key_hash(data.idempotency_key) if data.idempotency_key else None
    if key_hash is not None and not key_checked:
        existing = _existing_for_key(key_hash)
        if existing is not None:
            return existing

    for attempt in range(RECEIPT_ATTEMPTS):
        receipt, digest = _new_receipt()
        report = _build_report(data, digest, filed_by)
        _store_photos(report, photos)  # raw uploads are processed here and may raise PhotoError
        try:
            db.session.add(report)
            if key_hash is not None:
                # The primary key is the guard against two concurrent resends.
                db.session.add(IdempotencyKey(key_hash=key_hash, report=report, receipt_enc=encrypt_text(receipt)))
            # Cases answers (tracker.cases.receivers): it opens the case and
            # flushes the case, the report, its categories and photos and the
            # key together, in this transaction. Without it a report would sit
            # in no queue: refuse.
            report_submitted.send(None, report=report, actor=filed_by)
            break
        except IntegrityError:
            db.session.rollback()
            winner = _existing_for_key(key_hash) if key_hash is not None else None
            if winner is not None:
                return winner
            if attempt == RECEIPT_ATTEMPTS - 1:
                raise
            # Not a resend: the receipt drawn was already given (the unique
            # index on its hash refused it). Draw another.

    case = report.case
    if case is None or case.id is None or report.id is None:
        raise RuntimeError("no case was opened for the new report: is create_app's configure_cases connected?")
    record(
        "report.submitted",
        actor=filed_by,
        actor_role=None if filed_by is not None else "reporter",
        body_id=case.body_id,
        object_type="report",
        object_id=report.id,
        data={
            "case_id": case.id,
            "photos": len(photos),
            "filed_by_org_id": report.filed_by_org_id,
        },
    )
    if data.pulse:
        _store_pulse(data.region_id, data.pulse, data.language, source="report", force_id=data.force_id,
                     flush=False)
    db.session.flush()
    return SubmitResult(receipt=receipt, report=report, created=True)


def lookup_report(receipt_text) -> Report | None:
    """The report whose receipt this is (typed in any accepted form), or None.
    Callers must rate-limit failed lookups (DESIGN §3)."""
    digits = normalise_receipt(receipt_text)
    if digits is None:
        return None
    return db.session.scalar(sa.select(Report).where(Report.receipt_hash == hash_receipt(digits)))


def report_status(report: Report) -> str:
    """The state the reporter sees: their case's state (``new`` before one exists)."""
    return report.case.state if report.case is not None else "new"


def followup_view(report: Report, lang: str | None = None) -> dict:
    """What the reporter may see (DESIGN §3): the status code and its label in
    ``lang``, and the messages between them and the officer, oldest first.
    ``sent_on`` is an ISO date (no time of day); ``sent_on_date`` the date."""
    status = report_status(report)
    if lang:
        with force_locale(lang):
            label = str(STATES.get(status, status))
    else:
        label = str(STATES.get(status, status))
    explanation = STATUS_EXPLANATIONS.get(status)
    case = report.case
    outcome = case.outcome if case is not None and status in STATES_WITH_OUTCOME else None
    if outcome not in OUTCOMES:
        outcome = None
    with force_locale(lang) if lang else nullcontext():
        explanation = str(explanation) if explanation is not None else ""
        outcome_label = str(OUTCOMES[outcome]) if outcome else None
        outcome_explanation = str(OUTCOME_EXPLANATIONS[outcome]) if outcome else None
    messages = [
        {
            "from": m.sender,
            "body": m.body,
            "sent_on": m.created_at.date().isoformat(),
            "sent_on_date": m.created_at.date(),
        }
        for m in sorted(report.messages, key=lambda m: (m.created_at, m.id))
    ]
    return {
        "status": status,
        "status_label": label,
        "status_explanation": explanation,
        "outcome": outcome,
        "outcome_label": outcome_label,
        "outcome_explanation": outcome_explanation,
        "messages": messages,
        "photos": len(report.photos),
    }


def add_reporter_photos(report: Report, photos: Sequence[ProcessedPhoto]) -> int:
    """Add photos from the reporter at /followup (issue 9, item 6), through
    the same pipeline as the report: the caller passes photos already
    checked and cleaned by ``process_photos`` (content checked, metadata
    removed by re-encoding, SHA-256 of the original kept); they are stored
    encrypted. At most ``max_photos_per_report()`` per report in all. Flags the
    report and its case as having news and records "photo.reporter" with ids
    only. Returns how many were added. Flushes; the caller commits."""
    room = max_photos_per_report() - len(report.photos)
    if not photos:
        raise ValueError(_("Please choose a photo."))
    if len(photos) > room:
        raise ValueError(ngettext("You can add %(num)d more photo to this report.",
                                  "You can add %(num)d more photos to this report.", max(room, 0)))
    _store_photos(report, photos)
    report.has_news = True
    case = report.case
    if case is not None:
        case.has_news = True
    db.session.flush()
    record(
        "photo.reporter",
        actor_role="reporter",
        body_id=case.body_id if case is not None else None,
        object_type="report",
        object_id=report.id,
        data={"report_id": report.id, "case_id": case.id if case is not None else None, "photos": len(photos)},
    )
    return len(photos)


def max_photos_per_report() -> int:
    """Photos with the report plus those added at follow-up: twice MAX_PHOTOS."""
    return 2 * current_app.config["MAX_PHOTOS"]


def add_reporter_message(report: Report, body: str, *, by=None) -> Message:
    """Add information from the reporter (already validated: validate_message).
    Flags the report and its case as having news for the officer, and records
    "message.reporter" with ids only. ``by`` is the partner User following up
    for the community member (assisted intake; the caller checked
    can_follow_up_filed_report): the message is theirs and so is the audit
    event; None for the anonymous reporter. Flushes; the caller commits."""
    if not isinstance(body, str) or not body.strip():
        raise ValueError(_("Please write your message."))
    message = Message(report=report, sender="reporter", created_at=utcnow(),
                      author_user_id=getattr(by, "id", None))
    message.body = body.strip()
    db.session.add(message)
    report.has_news = True
    case = report.case
    if case is not None:
        case.has_news = True
    db.session.flush()
    record(
        "message.reporter",
        actor=by,
        actor_role=None if by is not None else "reporter",
        body_id=case.body_id if case is not None else None,
        object_type="message",
        object_id=message.id,
        data={"report_id": report.id, "case_id": case.id if case is not None else None},
    )
    reporter_message_added.send(None, report=report, message=message)
    return message


def _store_pulse(region_id: int, answers: dict, language: str, *, source: str, force_id: int | None = None,
                 flush: bool = True) -> PulseResponse:
    """One pulse row: the current month only, never linked to a report.
    ``flush=False``: written with the caller's next flush."""
    pulse = PulseResponse(
        region_id=region_id,
        force_id=force_id,
        month=_month(utcnow().date()),
        source=source,
        language=language,
        **{k: answers.get(k) for k in PULSE_KEYS},
    )
    db.session.add(pulse)
    if flush:
        db.session.flush()
    return pulse


def record_pulse(region_code: str, answers: dict, language: str) -> PulseResponse:
    """Store a standalone trust-pulse answer set (DESIGN §7). ``answers`` maps
    the five question codes to 1..5 or None (prefer not to say); validate with
    schema.validate_pulse first. Raises ValueError on an unknown region or an
    out-of-range answer. Flushes; the caller commits."""
    region = db.session.scalar(sa.select(Region).where(Region.pcode == region_code))
    if region is None:
        raise ValueError("unknown region")
    clean = {}
    for key in PULSE_KEYS:
        value = answers.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
            raise ValueError(f"bad answer for {key}")
        clean[key] = value
    return _store_pulse(region.id, clean, language, source="standalone")


def record_pulse_data(data: PulseData) -> PulseResponse:
    """record_pulse for a validated PulseData."""
    return record_pulse(data.region_pcode, data.answers, data.language)
