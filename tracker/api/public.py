"""Public intake API (DESIGN §10): no account, no cookie, JSON in and out.

The views are thin: read the JSON body, validate with the same schema as the
HTML form (tracker.intake.schema, strict JSON types), call one intake
service, commit once, answer. Rules live in the services.
"""
from __future__ import annotations

from flask import current_app, g, jsonify
from flask_babel import gettext as _

from tracker.api import bp
from tracker.api.common import (
    LOOKUP_LIMIT_SCOPE,
    PULSE_LIMIT_SCOPE,
    REPORT_LIMIT_SCOPE,
    ApiError,
    in_language,
    json_body,
    lookup_limit,
    pulse_limit,
    report_limit,
    request_language,
    validation_error,
)
from tracker.extensions import db, limiter
from tracker.intake import services
from tracker.intake.receipts import format_receipt, normalise_receipt
from tracker.intake.schema import validate_message, validate_pulse, validate_report



def _lookup_failed(response) -> bool:
    """Only lookups that found nothing (or could not be read) use up the
    allowance: a reporter checking their own receipt is never blocked by
    their own visits, but guessing receipts is."""
    return bool(g.get("receipt_lookup_failed"))


def _receipt_errors(body: dict) -> tuple[str | None, dict[str, str]]:
    """The receipt's 16 digits, or a field error."""
    digits = normalise_receipt(body.get("receipt"))
    if digits is None:
        g.receipt_lookup_failed = True
        if body.get("receipt") is None:
            return None, {"receipt": _("Please enter your receipt code.")}
        return None, {"receipt": _("A receipt code has 16 digits, for example 1234 5678 9012 3456.")}
    return digits, {}


def _language_errors(body: dict) -> dict[str, str]:
    """An optional ``language`` must be one we ship (null or "" mean not given),
    as for reports and the pulse."""
    lang = body.get("language")
    if lang is None or lang == "" or (isinstance(lang, str) and lang in current_app.config["LANGUAGES"]):
        return {}
    return {"language": _("Unknown language.")}


def _find_report(digits: str):
    report = services.lookup_report(digits)
    if report is None:
        g.receipt_lookup_failed = True
        raise ApiError(404, _("No report has this receipt code. Please check the digits and try again."))
    return report


@bp.post("/reports")
@limiter.shared_limit(report_limit, scope=REPORT_LIMIT_SCOPE)
def submit_report():
    """File a report. 201 with the receipt; a retry with the same
    ``idempotency_key`` answers 200 with the same receipt and files nothing."""
    with in_language():
        body = json_body()
    with in_language(body):
        data, errors = validate_report(body, strict_types=True)
        if errors:
            raise validation_error(errors)
        result = services.submit_report(data)
        db.session.commit()
        status = services.report_status(result.report)
    response = jsonify({"receipt": result.receipt, "receipt_display": format_receipt(result.receipt),
                        "status": status})
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201 if result.created else 200


@bp.post("/followup")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE, deduct_when=_lookup_failed)
def followup():
    """The status and messages of the report whose receipt is given."""
    with in_language():
        body = json_body()
    with in_language(body):
        digits, errors = _receipt_errors(body)
        errors.update(_language_errors(body))
        if errors:
            raise validation_error(errors)
        report = _find_report(digits)
        view = services.followup_view(report, request_language(body))
    return jsonify({
        "status": view["status"],
        "status_label": view["status_label"],
        "messages": [{"from": m["from"], "body": m["body"], "sent_on": m["sent_on"]} for m in view["messages"]],
    })


@bp.post("/followup/messages")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE, deduct_when=_lookup_failed)
def add_message():
    """More information from the reporter, for the officer."""
    with in_language():
        body = json_body()
    with in_language(body):
        digits, errors = _receipt_errors(body)
        text, message_errors = validate_message(body.get("body"), strict_types=True)
        errors.update(message_errors)
        errors.update(_language_errors(body))
        if errors:
            raise validation_error(errors)
        report = _find_report(digits)
        message = services.add_reporter_message(report, text)
        db.session.commit()
        sent_on = message.created_at.date().isoformat()
        status = services.report_status(report)
    return jsonify({"from": "reporter", "body": text, "sent_on": sent_on, "status": status}), 201


@bp.post("/pulse")
@limiter.shared_limit(pulse_limit, scope=PULSE_LIMIT_SCOPE)
def pulse():
    """A standalone trust-pulse answer set (DESIGN §7)."""
    with in_language():
        body = json_body()
    with in_language(body):
        data, errors = validate_pulse(body, strict_types=True)
        if errors:
            raise validation_error(errors)
        services.record_pulse_data(data)
        db.session.commit()
    return jsonify({"status": "recorded"}), 201
