"""Whatever is thrown at the public endpoints, the answer is never a 5xx and
always JSON."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENDPOINTS = ["/reports", "/followup", "/followup/messages", "/pulse"]
KEYS = [
    "categories", "occurred_on", "occurred_on_precision", "part_of_day", "region", "place_description",
    "latitude", "longitude", "force", "unit", "unit_description", "operation", "narrative", "harm", "victims",
    "relationship", "needs", "consent", "contact", "pulse", "language", "idempotency_key", "receipt", "body",
    "respect", "voice", "fairness", "safe_to_report", "safety", "killed", "children", "statistics", "name",
]
# Values that get past the first checks, so the deeper ones run too.
PLAUSIBLE = [
    "threats", "killing", "XV0101", "XV04", "XV", "ARMY", "NAVY", "CG2", "BDE4", "OP-CLEAN-RIVER", "day", "month",
    "2026-01-15", "2026-02", "2099-01-01", "witness", "medical", "en", "ar", "1234 5678 9012 3456", "",
    ["threats"], ["killing", "torture"], ["medical", "legal"], 0, 1, 5, 6, -1, 100000, 100001, 12.345, True, False,
    {"killed": 1, "injured": 2}, {"children": True}, {"contact": True, "statistics": False},
    {"respect": 4, "voice": None}, "\x00", "\u202e", "ملف",
]

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(PLAUSIBLE)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8) | st.sampled_from(KEYS),
                                                                      children, max_size=4),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=12)
bodies = objects | json_values

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.is_json
    assert isinstance(response.get_json(), dict)


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=bodies)
def test_arbitrary_json_never_gives_5xx(api, endpoint, body):
    check(api.raw(endpoint, json.dumps(body)))


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), data=st.binary(max_size=300),
       content_type=st.sampled_from(["application/json", "text/plain", "", "application/merge-patch+json"]))
def test_arbitrary_bytes_never_give_5xx(api, endpoint, data, content_type):
    check(api.raw(endpoint, data, content_type=content_type))


header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=objects, lang=st.text(max_size=5) | st.sampled_from(["es", "ar"]),
       accept=header_text | st.sampled_from(["ar,en;q=0.5", "fr-CA", "*;q=0", "es;q=x"]))
def test_any_language_request_never_gives_5xx(api, endpoint, body, lang, accept):
    check(api.client.post(f"/api/v1{endpoint}", query_string={"lang": lang}, json=body,
                          headers={"Accept-Language": accept}))


@FUZZ
@given(key=st.sampled_from(KEYS), value=json_values, nested=st.booleans())
def test_valid_report_with_one_arbitrary_field_never_gives_5xx(api, key, value, nested):
    from tests.fixtures.factories import build_report_payload

    payload = build_report_payload()
    if nested:
        for group in ("harm", "victims", "consent", "contact"):
            payload[group] = dict(payload[group], **{key: value})
    else:
        payload[key] = value
    response = api.post("/reports", payload)
    check(response)
    assert response.status_code in (200, 201, 400), response.get_json()
