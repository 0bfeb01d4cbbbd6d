"""The OpenAPI document and the checks cannot drift apart (issue 11 item 3).

The document as served is the judge: for every property of every request
body (nested ones by dotted path), boundary values and wrong values are put
into an otherwise valid body, and the document's own JSON Schema (jsonschema,
draft 2020-12) says whether the body is valid. The check the endpoint runs
must agree: no error where the document accepts, an error on that very field
where it refuses. The only exceptions are the rules the document can state
only in words, listed in ``IN_WORDS`` with the reason.

The field names themselves are written out from DESIGN §10, not read from
the code.
"""
import datetime

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.fixtures.factories import build_report_payload
from tracker.api.staff import StaffMessageBody, TransitionBody
from tracker.core.fields import load
from tracker.intake.schema import validate_followup, validate_pulse, validate_report

RECEIPT = "1234567890123456"  # well-formed; whether it exists is the endpoint's business, not the check's
PULSE = {"respect": 4, "voice": 3, "fairness": 2, "safe_to_report": 5, "safety": 1}


def _check(name):
    """The check each endpoint runs on its body, as {path: message}."""
    return {
        "ReportSubmission": lambda raw: validate_report(raw, strict_types=True)[1],
        "PulseRequest": lambda raw: validate_pulse(raw, strict_types=True)[1],
        "FollowupRequest": lambda raw: validate_followup(raw, message=False)[1],
        "MessageRequest": lambda raw: validate_followup(raw, message=True)[1],
        "Transition": lambda raw: load(TransitionBody(), raw, strict_types=True)[1],
        "StaffMessage": lambda raw: load(StaffMessageBody(), raw, strict_types=True)[1],
    }[name]


def _valid_bodies():
    return {
        "ReportSubmission": build_report_payload(pulse=PULSE, occurred_on_precision="day", idempotency_key="k-1"),
        "PulseRequest": {"region": "XV0101", **PULSE, "language": "fr"},
        "FollowupRequest": {"receipt": RECEIPT, "language": "es"},
        "MessageRequest": {"receipt": RECEIPT, "body": "More news.", "language": "ar"},
        "Transition": {"action": "triage", "reason": "Seen.", "outcome": "substantiated", "target": "Ministry 12"},
        "StaffMessage": {"body": "Thank you."},
    }


# DESIGN §10, written out (harm.missing and part_of_day were added to the
# form later; the staff bodies are {action, reason, outcome, target} and {body}).
DESIGN_FIELDS = {
    "ReportSubmission": {
        "categories", "occurred_on", "occurred_on_precision", "part_of_day", "region", "place_description",
        "latitude", "longitude", "force", "unit", "unit_description", "operation", "narrative",
        "harm", "harm.killed", "harm.injured", "harm.detained", "harm.missing", "harm.displaced_households",
        "harm.property_damaged", "victims", "victims.children", "victims.women", "victims.elderly",
        "victims.disability", "relationship", "needs", "consent", "consent.contact", "consent.statistics",
        "consent.referral", "contact", "contact.name", "contact.phone", "contact.safe_times", "pulse",
        "pulse.respect", "pulse.voice", "pulse.fairness", "pulse.safe_to_report", "pulse.safety", "language",
        "idempotency_key",
    },
    "PulseRequest": {"region", "respect", "voice", "fairness", "safe_to_report", "safety", "language"},
    "FollowupRequest": {"receipt", "language"},
    "MessageRequest": {"receipt", "body", "language"},
    "Transition": {"action", "reason", "outcome", "target"},
    "StaffMessage": {"body"},
}

# Values the document's schema accepts but the check may refuse, because the
# rule is one the document states in words only (in the field's description).
IN_WORDS = {
    ("ReportSubmission", "region"): "an existing P-code, below the country",
    ("ReportSubmission", "force"): "an existing force code",
    ("ReportSubmission", "unit"): "an existing unit code of the force",
    ("ReportSubmission", "operation"): "an existing operation code",
    ("ReportSubmission", "occurred_on"): "a real day, not in the future; YYYY-MM only with precision month",
    ("ReportSubmission", "occurred_on_precision"): "month changes how occurred_on is read",
    ("ReportSubmission", "latitude"): "both coordinates or neither",
    ("ReportSubmission", "longitude"): "both coordinates or neither",
    ("PulseRequest", "region"): "an existing P-code, below the country",
    ("FollowupRequest", "receipt"): "16 digits (any script, with separators)",
    ("MessageRequest", "receipt"): "16 digits (any script, with separators)",
}
# Values the document refuses but the check accepts: blank text (white space,
# NUL bytes) in an optional field counts as not given, as the bodies'
# descriptions say ("Text is trimmed; empty text counts as not given").


def _blank(value) -> bool:
    return isinstance(value, str) and not value.replace("\x00", "").strip()


# Values the document refuses but the staff check lets through to the
# workflow (tracker.cases.workflow), which refuses them with its own
# message: the vocabulary of actions and outcomes and the message length.
CHECKED_BY_WORKFLOW = {("Transition", "action"), ("Transition", "outcome"), ("StaffMessage", "body")}


@pytest.fixture
def document(api):
    return api.client.get("/api/v1/openapi.json").get_json()


def schema_of(document, name) -> dict:
    return document["components"]["schemas"][_body_schema(document, name)["$ref"].split("/")[-1]]


def _body_schema(document, name) -> dict:
    return document["paths"][_PATH[name]]["post"]["requestBody"]["content"]["application/json"]["schema"]


_PATH = {"ReportSubmission": "/reports", "PulseRequest": "/pulse", "FollowupRequest": "/followup",
         "MessageRequest": "/followup/messages", "Transition": "/cases/{ref}/transitions",
         "StaffMessage": "/cases/{ref}/messages"}


def _validator(document, name) -> Draft202012Validator:
    registry = Registry().with_resource("urn:api", Resource.from_contents(document, default_specification=DRAFT202012))
    ref = _body_schema(document, name)["$ref"].replace("#", "urn:api#", 1)
    return Draft202012Validator({"$ref": ref}, registry=registry)


def _properties(schema: dict, prefix: str = "") -> dict[str, dict]:
    """{dotted path: property schema}; a group typed only under a condition
    (contact with consent.contact) is described by its ``then`` branch, which
    the valid bodies meet."""
    props = dict(schema.get("properties", {}))
    props.update(schema.get("then", {}).get("properties", {}))
    out = {}
    for key, sub in props.items():
        out[prefix + key] = sub
        if "properties" in sub:
            out.update(_properties(sub, prefix + key + "."))
    return out


def _set(body: dict, path: str, value) -> dict:
    body = {k: (dict(v) if isinstance(v, dict) else v) for k, v in body.items()}
    head, _, tail = path.partition(".")
    if tail:
        body[head] = _set(body.get(head) or {}, tail, value)
    else:
        body[head] = value
    return body


def _drop(body: dict, path: str) -> dict:
    head, _, tail = path.partition(".")
    body = dict(body)
    if tail:
        body[head] = _drop(body[head], tail)
    else:
        body.pop(head)
    return body


def _candidates(schema: dict) -> list:
    """Boundary values and wrong values for a property: every JSON type,
    the documented limits and one step past them, each enum value and one
    unknown code."""
    values = ["x", "", "  ", "\x00", 0, 1, -1, 1.5, True, False, None, [], ["x"], [""], {}, {"x": 1},
              "2020-01-01", "2020-01", "2020-13-45", "zz-unknown"]
    for key in ("maxLength", "minLength"):
        if key in schema:
            values += ["a" * schema[key], "a" * (schema[key] + 1), "a" * max(schema[key] - 1, 0)]
    for key in ("minimum", "maximum"):
        if key in schema:
            values += [schema[key], schema[key] - 1, schema[key] + 1, schema[key] - 0.5, schema[key] + 0.5]
    enum = schema.get("enum") or schema.get("items", {}).get("enum") or schema.get("properties", {}).get("x", {}).get("enum")
    for value in enum or ():
        values += [value, [value], [value, value, ""]]
    return values


def test_document_names_the_fields_of_the_design(document):
    for name, expected in DESIGN_FIELDS.items():
        assert set(_properties(schema_of(document, name))) == expected, name


def test_the_valid_bodies_are_valid_for_both(app, document):
    for name, body in _valid_bodies().items():
        assert _validator(document, name).is_valid(body), name
        assert _check(name)(body) == {}, name


@pytest.mark.parametrize("name", DESIGN_FIELDS)
def test_check_and_document_agree_on_every_value(app, document, name):
    body, validator, check = _valid_bodies()[name], _validator(document, name), _check(name)
    required = schema_of(document, name).get("required", ())
    disagreements = []
    for path, schema in sorted(_properties(schema_of(document, name)).items()):
        seen = {True: 0, False: 0}
        for value in _candidates(schema):
            candidate = _set(body, path, value)
            documented = validator.is_valid(candidate)
            errors = check(candidate)
            seen[documented] += 1
            if documented:
                agree = errors == {} or (name, path) in IN_WORDS
            elif (_blank(value) and path not in required and errors == {}) or (
                    (name, path) in CHECKED_BY_WORKFLOW and isinstance(value, (str, type(None)))):
                agree = True
            else:
                head = path.split(".")[0]
                agree = path in errors or ("." in path and head in errors and not isinstance(body.get(head), dict))
            if not agree:
                disagreements.append((path, value, "documented" if documented else "refused by the document", errors))
        assert seen[True] and seen[False], (path, seen)  # both sides of every field were tried
    assert disagreements == []


@pytest.mark.parametrize("name", DESIGN_FIELDS)
def test_required_means_required(app, document, name):
    """Leaving out a field the document requires is an error on it; leaving
    out any other is accepted (both coordinates go together)."""
    body, validator, check = _valid_bodies()[name], _validator(document, name), _check(name)
    required = schema_of(document, name).get("required", ())
    for path in _properties(schema_of(document, name)):
        candidate = _drop(body, path)
        if path in ("latitude", "longitude"):
            candidate = _drop(_drop(body, "latitude"), "longitude")
        assert validator.is_valid(candidate) is (path not in required), path
        errors = check(candidate)
        if path in required and (name, path) not in CHECKED_BY_WORKFLOW:
            assert path in errors, (path, errors)
        elif path not in required:
            assert errors == {}, (path, errors)


def test_unknown_properties_are_ignored_by_both(app, document):
    for name, body in _valid_bodies().items():
        candidate = {**body, "zz_extra": {"anything": [1, "x"]}}
        assert _validator(document, name).is_valid(candidate), name
        assert _check(name)(candidate) == {}, name


def test_a_date_the_document_allows_in_words(app):
    """Sanity of IN_WORDS: what is excepted there is really checked."""
    tomorrow2 = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    assert "occurred_on" in validate_report(build_report_payload(occurred_on=tomorrow2), strict_types=True)[1]
    assert "region" in validate_report(build_report_payload(region="ZZ99"), strict_types=True)[1]
    assert "receipt" in validate_followup({"receipt": "12"}, message=False)[1]
