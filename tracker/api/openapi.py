"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json,
generated (apispec) from the request bodies that the endpoints check with
(tracker.intake.schema.BODIES, the staff bodies of tracker/api/staff.py):
each field's JSON Schema comes from its own definition (tracker/core/fields.py),
so the document cannot drift from what the checks accept.

Public intake paths are described here; staff endpoints add theirs with
``register_paths()`` (tracker/api/staff.py), so one document covers both.
"""
from __future__ import annotations

import copy

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify
from flask_babel import force_locale
from marshmallow import Schema
from marshmallow import fields as ma

from tracker.api import bp
from tracker.cases.models import STATES
from tracker.core import fields
from tracker.core.fields import Body
from tracker.intake.schema import BODIES

# Filled by register_paths(): {path: {method: operation}}, {name: schema}.
EXTRA_PATHS: dict[str, dict] = {}
EXTRA_SCHEMAS: dict[str, dict | type[Schema]] = {}
EXTRA_TAGS: list[dict] = []


def register_paths(paths: dict, schemas: dict | None = None, tags: list[dict] | None = None) -> None:
    """Add paths (keys relative to the server URL /api/v1, e.g. "/cases"),
    component schemas (a JSON Schema dict, or a marshmallow schema class of
    tracker.core.fields types) and tags to the document. Staff operations
    should say ``"security": [{"bearerAuth": []}]``; "Error" is available as
    ``{"$ref": "#/components/schemas/Error"}`` and the usual error responses
    as ``{"$ref": "#/components/responses/Unauthorized"}`` etc."""
    for path, operations in paths.items():
        EXTRA_PATHS.setdefault(path, {}).update(operations)
    EXTRA_SCHEMAS.update(schemas or {})
    for tag in tags or ():
        if tag not in EXTRA_TAGS:
            EXTRA_TAGS.append(tag)


# ------------------------------------------------------------ the answers

def _string(description: str = "", **schema) -> ma.String:
    return ma.String(required=True, metadata={"description": description, **schema} if description else schema)


class ErrorBody(Body):
    error = _string("What went wrong, in the request's language.")
    errors = ma.Dict(keys=ma.String(), values=ma.String(), metadata={
        "description": "Field-by-field messages keyed by dotted field path (\"harm.killed\", \"region\"); "
                       "\"request\" for the body as a whole."})


class ReceiptBody(Body):
    receipt = _string("The receipt code: 16 digits, no spaces. Shown once, never stored in clear; the reporter "
                      "needs it to follow up.", pattern=r"^[0-9]{16}$")
    receipt_display = _string("The same code in four groups, as it should be shown.",
                              pattern=r"^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$")
    status = _string("The case state.", enum=list(STATES))


MessageView = Body.from_dict({  # from_dict: "from" is a Python keyword
    "from": _string(enum=["officer", "reporter"]),
    "body": _string(),
    "sent_on": ma.Date(required=True, metadata={"description": "The day only, no time."}),
}, name="MessageView")


class FollowupView(Body):
    status = _string(enum=list(STATES))
    status_label = _string("The status in the requested language.")
    messages = ma.List(ma.Nested(MessageView), required=True, metadata={"description": "Oldest first."})


MessageSent = Body.from_dict({
    "from": _string(enum=["reporter"]),
    "body": _string(),
    "sent_on": ma.Date(required=True),
    "status": _string(enum=list(STATES)),
}, name="MessageSent")


class PulseRecorded(Body):
    status = _string(enum=["recorded"])


ANSWERS = {"Error": ErrorBody, "Receipt": ReceiptBody, "Message": MessageView, "FollowupView": FollowupView,
           "MessageSent": MessageSent, "PulseRecorded": PulseRecorded}


# ---------------------------------------------------------------- the paths

def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json_request(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _json_response(description: str, schema: str, headers: dict | None = None) -> dict:
    out = {"description": description,
           "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    if headers:
        out["headers"] = headers
    return out


COMMON_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "413": {"$ref": "#/components/responses/TooLarge"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}
_LANG = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "Language of messages when the body has no valid `language`."}


def _intake(operation_id: str, summary: str, body: str, responses: dict, description: str = "") -> dict:
    op = {"operationId": operation_id, "tags": ["intake"], "summary": summary, "security": [],
          "parameters": [_LANG], "requestBody": _json_request(body), "responses": {**responses, **COMMON_ERRORS}}
    if description:
        op["description"] = description
    return {"post": op}


PUBLIC_PATHS = {
    "/reports": _intake("submitReport", "File a report", "ReportSubmission", {
        "201": _json_response("Filed. Show the receipt to the reporter once.", "Receipt"),
        "200": _json_response("A retry with an idempotency key already used: the first receipt, nothing new filed.",
                              "Receipt", {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}}),
    }, "Anonymous: no account and no cookie. Rate-limited per client."),
    "/followup": _intake("followUp", "Status and messages of a report, by receipt", "FollowupRequest", {
        "200": _json_response("The report's status and its messages.", "FollowupView"),
        "404": _error_response("No report has this receipt."),
    }, "Failed lookups are rate-limited per client."),
    "/followup/messages": _intake("addFollowupMessage", "Send more information about a report", "MessageRequest", {
        "201": _json_response("The message was added.", "MessageSent"),
        "404": _error_response("No report has this receipt."),
    }),
    "/pulse": _intake("answerPulse", "Answer the trust pulse on its own", "PulseRequest", {
        "201": _json_response("Recorded (month and region only, never linked to anyone).", "PulseRecorded"),
    }),
    "/openapi.json": {"get": {
        "operationId": "openapi", "tags": ["meta"], "summary": "This document", "security": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 description of the API.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}

RESPONSES = {
    "BadRequest": _error_response(
        "Invalid input: wrong JSON types, unknown codes, a date in the future, numbers out of range, missing "
        "required fields, a body that is not a JSON object, invalid JSON, or a Content-Type other than "
        "application/json. `errors` says which field."),
    "TooLarge": _error_response("The body is larger than the limit."),
    "TooManyRequests": _error_response("Rate limit reached: wait and try again."),
    "Unauthorized": _error_response("Missing, unknown, expired or revoked bearer token."),
    "Forbidden": _error_response("The token's user may not do this."),
    "NotFound": _error_response("No such object (or not visible to this user)."),
}


# ------------------------------------------------------------ the document

def _field_schema(converter, field, **kwargs) -> dict:
    """apispec attribute function: our field types describe themselves."""
    if isinstance(field, fields.Group):
        return field.json_schema(converter.schema2jsonschema)
    if isinstance(field, fields.Field):
        return field.json_schema()
    return {}


def _conditions(schema: type[Schema], convert) -> dict:
    """The if/then of groups checked only when a flag is true (``contact``
    with ``consent.contact``): their fields are typed only then."""
    for name, field in schema._declared_fields.items():
        if isinstance(field, fields.Group) and field.checked_if:
            group, flag = field.checked_if
            condition = {"required": [group], "properties": {
                group: {"type": "object", "required": [flag], "properties": {flag: {"const": True}}}}}
            return {"if": condition, "then": {"properties": {name: {**convert(field.schema), "type": ["object", "null"]}}}}
    return {}


def build_document() -> dict:
    """The whole OpenAPI document (public paths plus registered staff paths)."""
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)  # nested bodies inline
    spec = APISpec(
        title="Tracker API", version="1.0.0", openapi_version="3.1.0", plugins=[plugin],
        info={"description": (
            "Reporting harm from security operations. The intake endpoints are public and anonymous "
            "(no account, no cookie); staff endpoints need a bearer token issued per user. "
            "Errors are JSON: {\"error\": message, \"errors\": {field: message}}, in the language of the "
            "body's `language`, else `?lang=`, else Accept-Language. Bodies are limited to "
            f"{current_app.config['MAX_JSON_BYTES']} bytes of JSON (413 beyond).")},
        servers=[{"url": "/api/v1"}],
    )
    plugin.converter.add_attribute_function(_field_schema)
    convert = plugin.converter.schema2jsonschema
    with force_locale("en"):  # descriptions quote labels (pulse questions, victim groups) in English
        for name, schema in {**ANSWERS, **BODIES}.items():
            spec.components.schema(name, _conditions(schema, convert), schema=schema)
        for name, schema in EXTRA_SCHEMAS.items():
            if isinstance(schema, dict):
                spec.components.schema(name, copy.deepcopy(schema))
            else:
                spec.components.schema(name, _conditions(schema, convert), schema=schema)
    for name, response in RESPONSES.items():
        spec.components.response(name, copy.deepcopy(response))
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "A staff API token issued per user (Authorization: Bearer <token>)."})
    for tag in [{"name": "intake", "description": "Public, anonymous reporting (DESIGN §3, §7)."},
                {"name": "meta", "description": "About the API."}, *EXTRA_TAGS]:
        spec.tag(copy.deepcopy(tag))
    paths = copy.deepcopy(PUBLIC_PATHS)
    for path, operations in EXTRA_PATHS.items():
        paths.setdefault(path, {}).update(copy.deepcopy(operations))
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())
