"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that matches what
the endpoints really accept and answer."""
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tracker.api import openapi
from tracker.intake.models import NEEDS, RELATIONSHIPS
from tracker.reference.models import CATEGORIES

PUBLIC = {"/reports", "/followup", "/followup/messages", "/pulse"}


@pytest.fixture
def document(api):
    r = api.client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.is_json
    return r.get_json()


def validator(document, name):
    registry = Registry().with_resource("urn:api", Resource.from_contents(document, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:api#/components/schemas/{name}"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_valid(document, name, instance):
    errors = [e.message for e in validator(document, name).iter_errors(instance)]
    assert not errors, (name, instance, errors)


def test_document_is_valid_openapi_31(document):
    assert document["openapi"].startswith("3.1")
    validate_spec(document)


def test_public_endpoints_are_described_without_security(document):
    assert set(document["paths"]) >= PUBLIC
    for path in PUBLIC:
        op = document["paths"][path]["post"]
        assert op["security"] == []
        assert {"400", "413", "429"} <= set(op["responses"])
    assert "404" in document["paths"]["/followup"]["post"]["responses"]
    assert document["servers"] == [{"url": "/api/v1"}]


def test_bearer_scheme_for_staff(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def test_enums_come_from_the_code_tables(document):
    props = document["components"]["schemas"]["ReportSubmission"]["properties"]
    # "" and null mean "not given", as the validation treats them.
    assert props["categories"]["items"]["enum"] == list(CATEGORIES) + [""]
    assert props["relationship"]["enum"] == list(RELATIONSHIPS) + ["", None]
    assert props["needs"]["items"]["enum"] == list(NEEDS) + [""]
    assert props["harm"]["properties"]["killed"]["minimum"] == 0
    assert props["pulse"]["properties"]["respect"]["maximum"] == 5


def test_real_requests_and_responses_match_the_schemas(api, db, document, report_payload):
    payload = report_payload(pulse={"respect": 4, "voice": None}, idempotency_key="k1")
    assert_valid(document, "ReportSubmission", payload)
    created = api.post("/reports", payload)
    assert created.status_code == 201
    assert_valid(document, "Receipt", created.get_json())
    assert_valid(document, "Receipt", api.post("/reports", payload).get_json())  # the replay
    receipt = created.get_json()["receipt"]

    assert_valid(document, "FollowupRequest", {"receipt": receipt})
    sent = api.post("/followup/messages", {"receipt": receipt, "body": "more"})
    assert_valid(document, "MessageSent", sent.get_json())
    view = api.post("/followup", {"receipt": receipt})
    assert_valid(document, "FollowupView", view.get_json())

    pulse = {"region": "XV01", "respect": 3, "safety": None}
    assert_valid(document, "PulseRequest", pulse)
    assert_valid(document, "PulseRecorded", api.post("/pulse", pulse).get_json())

    for response in (api.post("/reports", {"categories": "x"}), api.post("/followup", {"receipt": "1" * 16}),
                     api.raw("/pulse", "{")):
        assert response.status_code in (400, 404)
        assert_valid(document, "Error", response.get_json())


def test_schema_rejects_what_the_endpoint_rejects_by_type(document, report_payload):
    """Type and range errors are visible in the schema too (what a client
    generator or schemathesis relies on)."""
    v = validator(document, "ReportSubmission")
    for bad in (report_payload(categories=[]), report_payload(categories=["bombing"]),
                report_payload(harm={"killed": -1}), report_payload(harm={"killed": "3"}),
                report_payload(latitude=95), report_payload(pulse={"respect": 6}),
                report_payload(occurred_on="14/03/2026"), report_payload(needs=["food"]),
                report_payload(contact={"phone": 5550101})):
        assert not v.is_valid(bad), bad


def test_schema_accepts_what_the_endpoint_accepts(api, db, document, report_payload):
    """Tolerated inputs are documented, so a schema-driven fuzzer does not
    expect them to be refused: empty codes mean "not given", contact details
    are ignored (whatever they hold) without consent to contact."""
    v = validator(document, "ReportSubmission")
    tolerated = [
        report_payload(relationship="", part_of_day="", occurred_on_precision="", language=""),
        report_payload(categories=["threats", ""], needs=["", "legal"]),
        report_payload(consent={"contact": False}, contact={"phone": 5550101, "name": ["x"]}),
        report_payload(narrative=None, force=None, harm=None, victims=None, pulse=None, consent=None),
    ]
    for payload in tolerated:
        assert v.is_valid(payload), payload
        assert api.post("/reports", payload).status_code == 201, payload


def test_registered_staff_paths_appear_and_document_stays_valid(api, document):
    openapi.register_paths(
        {"/test-only": {"get": {"operationId": "testOnly", "security": [{"bearerAuth": []}],
                                "responses": {"401": {"$ref": "#/components/responses/Unauthorized"}}}}},
        {"TestOnly": {"type": "object"}},
    )
    try:
        doc = api.client.get("/api/v1/openapi.json").get_json()
        assert "/test-only" in doc["paths"] and "TestOnly" in doc["components"]["schemas"]
        validate_spec(doc)
    finally:
        openapi.EXTRA_PATHS.pop("/test-only", None)
        openapi.EXTRA_SCHEMAS.pop("TestOnly", None)
