"""Staff API (DESIGN §10, issue 3 item 9): the case queue and the workflow
behind a bearer token, using the same services as the HTML pages.

- ``GET  /api/v1/cases``                 same filters as /cases; keyset ``cursor``
- ``GET  /api/v1/cases/<ref>``           one case, its reports and messages
- ``POST /api/v1/cases/<ref>/transitions`` {action, reason, outcome, target}
- ``POST /api/v1/cases/<ref>/messages``    {body}

Officers and supervisors only, of the case's body (others get 404 for a
case, 403 for the role). Contact details are never served here. Their OpenAPI
description (``OPENAPI_PATHS``) is registered with tracker.api.openapi.
"""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.accounts.permissions import token_or_login_required
from tracker.api import bp
from tracker.api.common import ApiError, json_body
from tracker.cases import permissions as perm
from tracker.cases import workflow
from tracker.cases.models import STATES, Case
from tracker.cases.queue import MAX_PAGE_SIZE, PAGE_SIZE, CursorError, parse_filters, queue_page
from tracker.cases.workflow import TransitionError
from tracker.core.db import utcnow
from tracker.core.fields import Body, Text, load
from tracker.extensions import csrf, db
from tracker.intake.models import SEVERITY_ORDER

STAFF = ("officer", "supervisor")


def _api_errors(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            resp = view(*args, **kwargs)
        except ApiError as exc:
            db.session.rollback()
            resp = exc.response()
        if isinstance(resp, tuple):
            body, status = resp[0], resp[1]
        else:
            body, status = resp, None
        body.headers["Cache-Control"] = "no-store"
        return (body, status) if status else body

    return wrapped


def _iso(value):
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def _case_summary(case: Case, now) -> dict:
    return {
        "ref": case.ref,
        "state": case.state,
        "state_label": str(STATES.get(case.state, case.state)),
        "severity": case.severity,
        "verification": case.verification,
        "outcome": case.outcome,
        "region": case.region.pcode if case.region is not None else None,
        "force": case.force.code if case.force is not None else None,
        "occurred_on": case.occurred_on.isoformat() if case.occurred_on else None,
        "created_at": _iso(case.created_at),
        "triage_due_at": _iso(case.triage_due_at),
        "overdue": bool(case.state == "new" and case.triage_due_at and case.triage_due_at < now),
        "has_news": bool(case.has_news),
        "assigned_to": case.assigned_to_id,
        "merged_into": case.merged_into.ref if case.merged_into is not None else None,
        "url": url_for("api.staff_case", ref=case.ref),
    }


def _report(r) -> dict:
    return {
        "id": r.id,
        "received_at": _iso(r.created_at),
        "language": r.language,
        "categories": list(r.category_codes),
        "occurred_on": r.occurred_on.isoformat() if r.occurred_on else None,
        "occurred_on_precision": r.occurred_precision,
        "part_of_day": r.part_of_day,
        "region": r.region.pcode if r.region is not None else None,
        "place_description": r.place_description,
        "latitude": r.latitude,
        "longitude": r.longitude,
        "force": r.force.code if r.force is not None else None,
        "unit": r.unit.code if r.unit is not None else None,
        "unit_description": r.unit_description,
        "operation": r.operation.code if r.operation is not None else None,
        "narrative": r.narrative,
        "harm": {
            "killed": r.killed,
            "injured": r.injured,
            "detained": r.detained,
            "missing": r.missing,
            "displaced_households": r.displaced_households,
            "property_damaged": r.property_damaged,
        },
        "victims": {
            "children": r.victims_children,
            "women": r.victims_women,
            "elderly": r.victims_elderly,
            "disability": r.victims_disability,
        },
        "relationship": r.relationship_to_incident,
        "needs": list(r.needs or []),
        "consent": {"contact": r.consent_contact, "statistics": r.consent_statistics, "referral": r.consent_referral},
        "has_contact": r.contact_enc is not None,
        "photos": len(r.photos),
    }


def _load(ref: str) -> Case:
    # A NUL byte matches no reference (and PostgreSQL refuses it in a query).
    case = db.session.scalar(sa.select(Case).where(Case.ref == ref)) if "\x00" not in ref else None
    if case is None or not perm.can_view_case(current_user, case):
        raise ApiError(404, _("No case of your body has this reference."))
    return case


@bp.get("/cases")
@token_or_login_required(*STAFF)
@_api_errors
def staff_cases():
    """The queue: same filters as /cases; ``cursor`` continues a listing."""
    filters = parse_filters(request.args)
    if filters.errors:
        raise ApiError(400, _("Some fields need attention."), {k: str(v) for k, v in filters.errors.items()})
    try:
        limit = int(request.args.get("limit", PAGE_SIZE))
    except ValueError:
        raise ApiError(400, _("Some fields need attention."), {"limit": _("Give a whole number.")}) from None
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ApiError(400, _("Some fields need attention."), {"limit": _("Between 1 and %(n)s.", n=MAX_PAGE_SIZE)})
    try:
        page = queue_page(current_user, filters, request.args.get("cursor") or None, limit=limit)
    except CursorError:
        raise ApiError(400, _("Some fields need attention."), {"cursor": _("This cursor is not valid.")}) from None
    now = utcnow()
    return jsonify({"cases": [_case_summary(c, now) for c in page.cases], "next_cursor": page.next_cursor})


@bp.get("/cases/<ref>")
@token_or_login_required(*STAFF)
@_api_errors
def staff_case(ref: str):
    """One case in full (contact details excepted)."""
    case = _load(ref)
    now = utcnow()
    reports = list(case.reports)
    messages = sorted((m for r in reports for m in r.messages), key=lambda m: (m.created_at, m.id))
    out = _case_summary(case, now)
    out.update(
        {
            "severity_overridden": case.severity_overridden,
            "triaged_at": _iso(case.triaged_at),
            "escalated_at": _iso(case.escalated_at),
            "resolved_at": _iso(case.resolved_at),
            "referred_to": case.referred_to,
            "escalation_proposed": case.escalation_proposed_at is not None,
            "allowed_actions": workflow.allowed_actions(case, current_user),
            "reports": [_report(r) for r in reports],
            "messages": [
                {"from": m.sender, "report_id": m.report_id, "body": m.body, "sent_at": _iso(m.created_at)}
                for m in messages
            ],
        }
    )
    return jsonify(out)


def _transition_error(exc: TransitionError) -> ApiError:
    if exc.code == "forbidden":
        return ApiError(404, _("No case of your body has this reference."))
    if exc.code == "role":
        return ApiError(403, exc.message)
    if exc.code == "not_allowed_in_state" or exc.code == "merged":
        return ApiError(409, exc.message)
    return ApiError(400, exc.message, {exc.field or "request": exc.message})


def _staff_text(description: str, *, required: bool = False, **doc) -> Text:
    # Only the type is checked here: cases.workflow checks the values (and says why one is refused).
    return Text(None, trim=False, type_message=_l("Give text."), required_later=required, description=description,
                doc=doc)


class TransitionBody(Body):
    action = _staff_text("What to do.", required=True, enum=list(workflow.ACTIONS))
    reason = _staff_text("Required for reject, escalate, propose_escalation, refer, reopen")
    outcome = _staff_text("How the case ended.", enum=list(workflow.OUTCOMES))
    target = _staff_text("refer: institution and its reference; merge: ref of the surviving case")


class StaffMessageBody(Body):
    body = _staff_text("The message (1 to 5,000 characters).", required=True, minLength=1, maxLength=5000)


def _checked(schema, raw: dict) -> dict:
    """The body's values checked by ``schema``, or a 400 with the fields at fault."""
    values, errors = load(schema, raw, strict_types=True)
    if errors:
        raise ApiError(400, _("Some fields need attention."), errors)
    return values


_TRANSITION, _MESSAGE = TransitionBody(), StaffMessageBody()


@bp.post("/cases/<ref>/transitions")
@csrf.exempt
@token_or_login_required(*STAFF)
@_api_errors
def staff_transition(ref: str):
    """Move a case: {action, reason, outcome, target}. ``target`` is the
    institution and its reference for ``refer``, the surviving case's
    reference for ``merge``."""
    raw = json_body()
    case = _load(ref)
    body = _checked(_TRANSITION, raw)
    action = body["action"] or ""
    target = body["target"]
    if action == "merge" and target:
        survivor = db.session.scalar(sa.select(Case).where(Case.ref == target.strip())) if "\x00" not in target else None
        if survivor is None or not perm.can_view_case(current_user, survivor):
            raise ApiError(400, _("Some fields need attention."), {"target": _("No case of your body has this reference.")})
        target = survivor
    try:
        workflow.perform(
            case, action, current_user, reason=body["reason"], outcome=body["outcome"], target=target
        )
    except TransitionError as exc:
        raise _transition_error(exc) from None
    db.session.commit()
    return jsonify(_case_summary(case, utcnow())), 200


@bp.post("/cases/<ref>/messages")
@csrf.exempt
@token_or_login_required(*STAFF)
@_api_errors
def staff_message(ref: str):
    """Send a message to the reporter: {body}."""
    raw = json_body()
    case = _load(ref)
    body = _checked(_MESSAGE, raw)
    try:
        msg = workflow.message_reporter(case, current_user, body["body"])
    except TransitionError as exc:
        raise _transition_error(exc) from None
    db.session.commit()
    return jsonify({"id": msg.id, "from": "officer", "body": msg.body, "sent_at": _iso(msg.created_at)}), 201


# ------------------------------------------------------------------ OpenAPI

_ERR = {"$ref": "#/components/schemas/Error"}
_BEARER = [{"bearerAuth": []}]
_REF_PARAM = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 20}}


def _errors(*codes: int) -> dict:
    text = {400: "Invalid input", 401: "No or bad token", 403: "Role not allowed", 404: "No such case in your body",
            409: "Move not allowed in this state", 413: "Body too large"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": _ERR}}} for c in codes}


OPENAPI_SCHEMAS = {
    "CaseSummary": {
        "type": "object",
        "properties": {
            "ref": {"type": "string"},
            "state": {"type": "string", "enum": list(STATES)},
            "state_label": {"type": "string"},
            "severity": {"type": "string", "enum": list(SEVERITY_ORDER)},
            "verification": {"type": "string"},
            "outcome": {"type": ["string", "null"]},
            "region": {"type": ["string", "null"]},
            "force": {"type": ["string", "null"]},
            "occurred_on": {"type": ["string", "null"], "format": "date"},
            "created_at": {"type": "string", "format": "date-time"},
            "triage_due_at": {"type": ["string", "null"], "format": "date-time"},
            "overdue": {"type": "boolean"},
            "has_news": {"type": "boolean"},
            "assigned_to": {"type": ["integer", "null"]},
            "merged_into": {"type": ["string", "null"]},
            "url": {"type": "string"},
        },
        "required": ["ref", "state", "severity", "created_at"],
    },
    "CaseList": {
        "type": "object",
        "properties": {
            "cases": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}},
            "next_cursor": {"type": ["string", "null"]},
        },
        "required": ["cases", "next_cursor"],
    },
    "CaseDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/CaseSummary"},
            {
                "type": "object",
                "properties": {
                    "allowed_actions": {"type": "array", "items": {"type": "string"}},
                    "reports": {"type": "array", "items": {"type": "object"}},
                    "messages": {"type": "array", "items": {"type": "object"}},
                },
            },
        ]
    },
}

_FILTER_PARAMS = [
    {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "all", *STATES]}},
    {"name": "severity", "in": "query", "schema": {"type": "string", "enum": list(SEVERITY_ORDER)}},
    {"name": "region", "in": "query", "schema": {"type": "string"}, "description": "P-code; includes sub-regions"},
    {"name": "category", "in": "query", "schema": {"type": "string"}},
    {"name": "force", "in": "query", "schema": {"type": "string"}},
    {"name": "mine", "in": "query", "schema": {"type": "string", "enum": ["1", "0"]}},
    {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["1", "0"]}},
    {"name": "news", "in": "query", "schema": {"type": "string", "enum": ["1", "0"]}},
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "all words must appear"},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}},
]


def _json(schema_name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}


OPENAPI_PATHS = {
    "/cases": {
        "get": {
            "summary": "The case queue of your body (severity, then age), keyset-paginated",
            "operationId": "listCases",
            "security": _BEARER,
            "parameters": _FILTER_PARAMS,
            "responses": {"200": {"description": "A page of cases", "content": _json("CaseList")}, **_errors(400, 401, 403)},
        }
    },
    "/cases/{ref}": {
        "get": {
            "summary": "One case with its reports and messages (no contact details)",
            "operationId": "getCase",
            "security": _BEARER,
            "parameters": [_REF_PARAM],
            "responses": {"200": {"description": "The case", "content": _json("CaseDetail")}, **_errors(401, 403, 404)},
        }
    },
    "/cases/{ref}/transitions": {
        "post": {
            "summary": "Move a case through the workflow",
            "operationId": "transitionCase",
            "security": _BEARER,
            "parameters": [_REF_PARAM],
            "requestBody": {"required": True, "content": _json("Transition")},
            "responses": {
                "200": {"description": "The case after the move", "content": _json("CaseSummary")},
                **_errors(400, 401, 403, 404, 409, 413),
            },
        }
    },
    "/cases/{ref}/messages": {
        "post": {
            "summary": "Send a message to the reporter",
            "operationId": "messageReporter",
            "security": _BEARER,
            "parameters": [_REF_PARAM],
            "requestBody": {"required": True, "content": _json("StaffMessage")},
            "responses": {"201": {"description": "Sent"}, **_errors(400, 401, 403, 404, 409, 413)},
        }
    },
}
for _op in (op for ops in OPENAPI_PATHS.values() for op in ops.values()):
    _op["tags"] = ["cases"]

from tracker.api.openapi import register_paths  # noqa: E402

register_paths(
    OPENAPI_PATHS,
    {**OPENAPI_SCHEMAS, "Transition": TransitionBody, "StaffMessage": StaffMessageBody},
    [{"name": "cases", "description": "Staff: the case queue and workflow (bearer token; DESIGN §4)."}],
)
