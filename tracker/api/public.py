"""Public intake API (DESIGN §10): no account, no cookie, JSON in and out.

The views are thin: read the JSON body, validate with the same schema as the
HTML form (tracker.intake.schema, strict JSON types), call one intake
service, commit once, answer. Rules live in the services.
"""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from tracker.api import bp
from tracker.api.common import ApiError, in_language, json_body, request_language, validation_error
from tracker.extensions import db
from tracker.intake import limits, services
from tracker.intake.receipts import format_receipt
from tracker.intake.schema import validate_followup, validate_pulse, validate_report


def _too_many(refusal: limits.Refusal, what: str):
    """429 with Retry-After and, in the body, the message and the seconds."""
    response = jsonify({"error": limits.refusal_message(refusal, what), "retry_after": refusal.retry_after})
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response, 429


def _find_report(digits: str):
    report = services.lookup_report(digits)
    if report is None:
        limits.lookup_failed()
        raise ApiError(404, _("No report has this receipt code. Please check the digits and try again."))
    return report


def _submitted(result: services.SubmitResult, status: str | None = None):
    status = status or services.report_status(result.report)
    response = jsonify({"receipt": result.receipt, "receipt_display": format_receipt(result.receipt),
                        "status": status})
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201 if result.created else 200


@bp.post("/reports")
def submit_report():
    """File a report. 201 with the receipt; a retry with the same
    ``idempotency_key`` answers 200 with the same receipt and files nothing,
    and is never refused by the rate limit (tracker.intake.limits), which the
    HTML form shares."""
    with in_language():
        body = json_body()
    with in_language(body):
        replay = services.filed_submission(body.get("idempotency_key"))
        if replay is not None:
            return _submitted(replay)
        refusal = limits.admit_report(services.idempotency_token(body.get("idempotency_key")))
        if refusal is not None:
            return _too_many(refusal, "report")
        data, errors = validate_report(body, strict_types=True)
        if errors:
            raise validation_error(errors)
        result = services.submit_report(data, key_checked=True)
        status = services.report_status(result.report)  # before commit expires what it reads
        db.session.commit()
        return _submitted(result, status)


def _lookup(body: dict, *, message: bool) -> tuple[dict, dict[str, str], tuple | None]:
    """Shared start of the two receipt endpoints: the checked body (its
    ``receipt`` is the 16 digits, or absent) and field errors, and a 429 when
    a limit refuses, checked before the receipt is hashed."""
    values, errors = validate_followup(body, message=message)
    digits = values.get("receipt")
    refusal = limits.admit_lookup(hashing=digits is not None)
    if refusal is not None:
        return {}, {}, _too_many(refusal, "lookup")
    if digits is None:
        limits.lookup_failed()
    return values, errors, None


@bp.post("/followup")
def followup():
    """The status and messages of the report whose receipt is given."""
    with in_language():
        body = json_body()
    with in_language(body):
        values, errors, refused = _lookup(body, message=False)
        if refused is not None:
            return refused
        if errors:
            raise validation_error(errors)
        report = _find_report(values["receipt"])
        view = services.followup_view(report, request_language(body))
    return jsonify({
        "status": view["status"],
        "status_label": view["status_label"],
        "messages": [{"from": m["from"], "body": m["body"], "sent_on": m["sent_on"]} for m in view["messages"]],
    })


@bp.post("/followup/messages")
def add_message():
    """More information from the reporter, for the officer."""
    with in_language():
        body = json_body()
    with in_language(body):
        values, errors, refused = _lookup(body, message=True)
        if refused is not None:
            return refused
        if errors:
            raise validation_error(errors)
        report = _find_report(values["receipt"])
        text = values["body"]
        message = services.add_reporter_message(report, text)
        db.session.commit()
        sent_on = message.created_at.date().isoformat()
        status = services.report_status(report)
    return jsonify({"from": "reporter", "body": text, "sent_on": sent_on, "status": status}), 201


@bp.post("/pulse")
def pulse():
    """A standalone trust-pulse answer set (DESIGN §7)."""
    with in_language():
        body = json_body()
    with in_language(body):
        refusal = limits.admit_pulse()
        if refusal is not None:
            return _too_many(refusal, "pulse")
        data, errors = validate_pulse(body, strict_types=True)
        if errors:
            raise validation_error(errors)
        services.record_pulse_data(data)
        db.session.commit()
    return jsonify({"status": "recorded"}), 201
