"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Public intake paths are described here; staff endpoints add theirs with
``register_paths()`` (tracker/api/staff.py), so one document covers both.
Enumerations come from the code tables (categories, relationships, needs …)
so the document cannot drift from what the validation accepts.
"""
from __future__ import annotations

import copy

from flask import current_app, jsonify

from tracker.api import bp

# Filled by register_paths(): {path: {method: operation}}, {name: schema}.
EXTRA_PATHS: dict[str, dict] = {}
EXTRA_SCHEMAS: dict[str, dict] = {}
EXTRA_TAGS: list[dict] = []


def register_paths(paths: dict, schemas: dict | None = None, tags: list[dict] | None = None) -> None:
    """Add paths (keys relative to the server URL /api/v1, e.g. "/cases"),
    component schemas and tags to the document. Staff operations should say
    ``"security": [{"bearerAuth": []}]``; "Error" is available as
    ``{"$ref": "#/components/schemas/Error"}`` and the usual error responses
    as ``{"$ref": "#/components/responses/Unauthorized"}`` etc."""
    for path, operations in paths.items():
        EXTRA_PATHS.setdefault(path, {}).update(operations)
    EXTRA_SCHEMAS.update(schemas or {})
    for tag in tags or ():
        if tag not in EXTRA_TAGS:
            EXTRA_TAGS.append(tag)


def _nullable(schema: dict) -> dict:
    """``null`` means "not given" for every optional field."""
    schema = dict(schema)
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if "enum" in schema:
        schema["enum"] = list(schema["enum"]) + [None]
    return schema


def _code(values, description: str = "") -> dict:
    """An optional code: one of ``values``; null or "" mean "not given"."""
    return {"type": ["string", "null"], "enum": [*values, "", None],
            "description": (description + " Empty or null: not given.").strip()}


def _text(limit: int, description: str) -> dict:
    return _nullable({"type": "string", "maxLength": limit, "description": description})


def _count(description: str) -> dict:
    from tracker.intake.schema import MAX_COUNT

    return _nullable({"type": "integer", "minimum": 0, "maximum": MAX_COUNT, "description": description})


def _flag(description: str) -> dict:
    return _nullable({"type": "boolean", "description": description})


def _answer(description: str) -> dict:
    return _nullable({"type": "integer", "minimum": 1, "maximum": 5,
                      "description": description + " 1 = strongly disagree … 5 = strongly agree; null = prefer not to say."})


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _schemas() -> dict:
    from tracker.cases.models import STATES
    from tracker.intake.models import NEEDS, PARTS_OF_DAY, PRECISIONS, PULSE_QUESTIONS, RELATIONSHIPS, VICTIM_GROUPS
    from tracker.intake.schema import MAX_IDEMPOTENCY_KEY, MAX_NARRATIVE, MAX_TEXT
    from tracker.reference.models import CATEGORIES

    languages = list(current_app.config["LANGUAGES"])
    pulse_questions = {key: str(text) for key, text in _english(PULSE_QUESTIONS).items()}
    pulse_answers = {key: _answer(f"“{text}”") for key, text in pulse_questions.items()}
    language = _code(languages, "Language of the reporter: messages and labels come back in it.")
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string", "description": "What went wrong, in the request's language."},
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Field-by-field messages keyed by dotted field path "
                                   "(\"harm.killed\", \"region\"); \"request\" for the body as a whole.",
                },
            },
        },
        "ReportSubmission": {
            "type": "object",
            "required": ["categories", "occurred_on", "region"],
            # Contact details are checked only when the reporter agreed to be contacted.
            "if": {"required": ["consent"],
                   "properties": {"consent": {"type": "object", "required": ["contact"],
                                              "properties": {"contact": {"const": True}}}}},
            "then": {"properties": {"contact": _nullable({
                "type": "object",
                "properties": {
                    "name": _text(MAX_TEXT, "Name."),
                    "phone": _text(MAX_TEXT, "Phone number."),
                    "safe_times": _text(MAX_TEXT, "When it is safe to call."),
                },
            })}},
            "description": "A report (DESIGN §3). Values must have their JSON type (no numbers in strings). "
                           "Unknown properties are ignored. Text is trimmed; empty text counts as not given.",
            "properties": {
                "categories": {"type": "array", "minItems": 1,
                               "items": {"type": "string", "enum": [*CATEGORIES, ""]},
                               "description": "What happened: one or more harm category codes "
                                              "(empty strings are ignored; at least one code is needed)."},
                "occurred_on": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$",
                                "description": "YYYY-MM-DD (YYYY-MM accepted with precision month). Not in the "
                                               "future (one day of grace for time zones), not before 1990."},
                "occurred_on_precision": _code(PRECISIONS, "day (default) or month."),
                "part_of_day": _code(PARTS_OF_DAY),
                "region": {"type": "string", "maxLength": 64,
                           "description": "P-code of a province, district or maritime zone (not the country)."},
                "place_description": _text(MAX_TEXT, "Where exactly, in words."),
                "latitude": _nullable({"type": "number", "minimum": -90, "maximum": 90,
                                       "description": "Rounded to 2 decimals by the server. Give both or neither."}),
                "longitude": _nullable({"type": "number", "minimum": -180, "maximum": 180,
                                        "description": "Rounded to 2 decimals by the server."}),
                "force": _nullable({"type": "string", "maxLength": 64, "description": "Force code."}),
                "unit": _nullable({"type": "string", "maxLength": 64,
                                   "description": "Unit code; must belong to the force."}),
                "unit_description": _text(MAX_TEXT, "Insignia, vehicles, uniforms, in words."),
                "operation": _nullable({"type": "string", "maxLength": 64, "description": "Operation code."}),
                "narrative": _text(MAX_NARRATIVE, "What happened, in the reporter's words. Encrypted at rest."),
                "harm": _nullable({
                    "type": "object",
                    "properties": {
                        "killed": _count("People killed."),
                        "injured": _count("People injured."),
                        "detained": _count("People detained."),
                        "missing": _count("People missing."),
                        "displaced_households": _count("Households displaced."),
                        "property_damaged": _flag("Property damaged."),
                    },
                }),
                "victims": _nullable({
                    "type": "object",
                    "properties": {key: _flag(f"Victims included: {text}.")
                                   for key, text in _english(VICTIM_GROUPS).items()},
                }),
                "relationship": _code(RELATIONSHIPS, "The reporter's relationship to the incident."),
                "needs": _nullable({"type": "array", "items": {"type": "string", "enum": [*NEEDS, ""]},
                                    "description": "Support needed (for referral); empty strings are ignored."}),
                "consent": _nullable({
                    "type": "object",
                    "properties": {
                        "contact": _flag("May we contact you (default false)."),
                        "statistics": _flag("May we count this report in anonymous statistics (default true)."),
                        "referral": _flag("May we refer you to a support organisation (default false)."),
                    },
                }),
                "contact": {
                    "type": ["object", "null"],
                    "description": "Kept (encrypted) only when consent.contact is true; otherwise ignored, "
                                   "whatever its fields hold.",
                },
                "pulse": _nullable({"type": "object", "properties": pulse_answers,
                                    "description": "Trust pulse (DESIGN §7), optional."}),
                "language": language,
                "idempotency_key": _text(MAX_IDEMPOTENCY_KEY,
                                         "Any unique string per report. Resending the same key returns the "
                                         "first receipt and files nothing new."),
            },
        },
        "Receipt": {
            "type": "object",
            "required": ["receipt", "receipt_display", "status"],
            "properties": {
                "receipt": {"type": "string", "pattern": r"^[0-9]{16}$",
                            "description": "The receipt code: 16 digits, no spaces. Shown once, never stored "
                                           "in clear; the reporter needs it to follow up."},
                "receipt_display": {"type": "string", "pattern": r"^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$",
                                    "description": "The same code in four groups, as it should be shown."},
                "status": {"type": "string", "enum": list(STATES), "description": "The case state."},
            },
        },
        "FollowupRequest": {
            "type": "object",
            "required": ["receipt"],
            "properties": {
                "receipt": {"type": "string", "maxLength": 100,
                            "description": "16 digits; spaces, dashes and any script's digits are accepted."},
                "language": language,
            },
        },
        "Message": {
            "type": "object",
            "required": ["from", "body", "sent_on"],
            "properties": {
                "from": {"type": "string", "enum": ["officer", "reporter"]},
                "body": {"type": "string"},
                "sent_on": {"type": "string", "format": "date", "description": "The day only, no time."},
            },
        },
        "FollowupView": {
            "type": "object",
            "required": ["status", "status_label", "messages"],
            "properties": {
                "status": {"type": "string", "enum": list(STATES)},
                "status_label": {"type": "string", "description": "The status in the requested language."},
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"},
                             "description": "Oldest first."},
            },
        },
        "MessageRequest": {
            "type": "object",
            "required": ["receipt", "body"],
            "properties": {
                "receipt": {"type": "string", "maxLength": 100},
                "body": {"type": "string", "minLength": 1, "maxLength": MAX_NARRATIVE,
                         "description": "More information for the officer. Encrypted at rest."},
                "language": language,
            },
        },
        "MessageSent": {
            "type": "object",
            "required": ["from", "body", "sent_on", "status"],
            "properties": {
                "from": {"type": "string", "enum": ["reporter"]},
                "body": {"type": "string"},
                "sent_on": {"type": "string", "format": "date"},
                "status": {"type": "string", "enum": list(STATES)},
            },
        },
        "PulseRequest": {
            "type": "object",
            "required": ["region"],
            "description": "A standalone trust pulse. At least one of the five answers must be given.",
            "properties": {
                "region": {"type": "string", "maxLength": 64, "description": "P-code of a province or district."},
                **pulse_answers,
                "language": language,
            },
        },
        "PulseRecorded": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["recorded"]}},
        },
    }


def _english(labels: dict) -> dict:
    from flask_babel import force_locale

    with force_locale("en"):
        return {key: str(value) for key, value in labels.items()}


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


def _public_paths() -> dict:
    lang_param = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
                  "description": "Language of messages when the body has no valid `language`."}
    return {
        "/reports": {"post": {
            "operationId": "submitReport",
            "tags": ["intake"],
            "summary": "File a report",
            "description": "Anonymous: no account and no cookie. Rate-limited per client.",
            "security": [],
            "parameters": [lang_param],
            "requestBody": _json_request("ReportSubmission"),
            "responses": {
                "201": _json_response("Filed. Show the receipt to the reporter once.", "Receipt"),
                "200": _json_response(
                    "A retry with an idempotency key already used: the first receipt, nothing new filed.",
                    "Receipt", {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}}),
                **COMMON_ERRORS,
            },
        }},
        "/followup": {"post": {
            "operationId": "followUp",
            "tags": ["intake"],
            "summary": "Status and messages of a report, by receipt",
            "description": "Failed lookups are rate-limited per client.",
            "security": [],
            "parameters": [lang_param],
            "requestBody": _json_request("FollowupRequest"),
            "responses": {
                "200": _json_response("The report's status and its messages.", "FollowupView"),
                "404": _error_response("No report has this receipt."),
                **COMMON_ERRORS,
            },
        }},
        "/followup/messages": {"post": {
            "operationId": "addFollowupMessage",
            "tags": ["intake"],
            "summary": "Send more information about a report",
            "security": [],
            "parameters": [lang_param],
            "requestBody": _json_request("MessageRequest"),
            "responses": {
                "201": _json_response("The message was added.", "MessageSent"),
                "404": _error_response("No report has this receipt."),
                **COMMON_ERRORS,
            },
        }},
        "/pulse": {"post": {
            "operationId": "answerPulse",
            "tags": ["intake"],
            "summary": "Answer the trust pulse on its own",
            "security": [],
            "parameters": [lang_param],
            "requestBody": _json_request("PulseRequest"),
            "responses": {
                "201": _json_response("Recorded (month and region only, never linked to anyone).",
                                      "PulseRecorded"),
                **COMMON_ERRORS,
            },
        }},
        "/openapi.json": {"get": {
            "operationId": "openapi",
            "tags": ["meta"],
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI 3.1 description of the API.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
    }


def build_document() -> dict:
    """The whole OpenAPI document (public paths plus registered staff paths)."""
    schemas = _schemas()
    schemas.update(copy.deepcopy(EXTRA_SCHEMAS))
    paths = _public_paths()
    for path, operations in EXTRA_PATHS.items():
        paths.setdefault(path, {}).update(copy.deepcopy(operations))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tracker API",
            "version": "1.0.0",
            "description": (
                "Reporting harm from security operations. The intake endpoints are public and anonymous "
                "(no account, no cookie); staff endpoints need a bearer token issued per user. "
                "Errors are JSON: {\"error\": message, \"errors\": {field: message}}, in the language of the "
                "body's `language`, else `?lang=`, else Accept-Language. Bodies are limited to "
                f"{current_app.config['MAX_JSON_BYTES']} bytes of JSON (413 beyond)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": "intake", "description": "Public, anonymous reporting (DESIGN §3, §7)."},
                 {"name": "meta", "description": "About the API."}] + copy.deepcopy(EXTRA_TAGS),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "BadRequest": _error_response(
                    "Invalid input: wrong JSON types, unknown codes, a date in the future, numbers out of range, "
                    "missing required fields, a body that is not a JSON object, invalid JSON, or a "
                    "Content-Type other than application/json. `errors` says which field."),
                "TooLarge": _error_response("The body is larger than the limit."),
                "TooManyRequests": _error_response("Rate limit reached: wait and try again."),
                "Unauthorized": _error_response("Missing, unknown, expired or revoked bearer token."),
                "Forbidden": _error_response("The token's user may not do this."),
                "NotFound": _error_response("No such object (or not visible to this user)."),
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A staff API token issued per user (Authorization: Bearer <token>).",
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())
