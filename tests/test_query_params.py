"""Hostile values in staff query parameters, path ids and form ids (issue 8
item 6): a number beyond the 64-bit range of the database and a NUL byte
(PostgreSQL refuses both in a query; SQLite overflows) are the client's
mistake, answered 400 (404 for an id in a path), never 500.

The parameter list is written out from the pages, not read from the code:
a parameter added later must be added here. Runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL.
"""
import pytest

from tests.fixtures.accounts import csrf_token

BIG = "99999999999999999999999"
INT32_OVER = "2147483648"  # the id columns are INTEGER: 32 bits on PostgreSQL
NUL = "%00"
BIG_NEGATIVE = "-99999999999999999999999"

QUEUE_FILTERS = ("state", "severity", "region", "category", "force", "mine", "overdue", "news", "proposed")

# (role, path, parameter, status for a huge number). A free-text parameter
# (search words, the text of a response) may hold any number: 200.
PARAMS = (
    [("officer", "/cases", p, 400) for p in (*QUEUE_FILTERS, "after", "before", "sort")]
    + [("officer", "/cases", "q", 200)]
    + [("supervisor", "/cases/audit", p, 400) for p in ("before", "case", "user", "action", "from", "to")]
    + [("supervisor", "/cases/export.csv", p, 400) for p in QUEUE_FILTERS]
    + [("supervisor", "/cases/export.csv", "q", 200)]
    + [("commander", "/trends", p, 400) for p in ("grain", "from", "to", "province", "category", "unit", "format")]
    + [("supervisor", "/trends", "force", 400)]
    + [("commander", "/trends/responses/new", p, 400) for p in ("grain", "period", "region", "unit")]
    + [("commander", "/trends/responses/new", p, 200) for p in ("text", "alert", "note")]
    + [("partner", "/partner/reports", p, 400) for p in ("status", "after")]
    + [("officer", "/api/v1/cases", p, 400) for p in (*QUEUE_FILTERS, "cursor", "limit")]
    + [("officer", "/api/v1/cases", "q", 200)]
    + [(None, "/login", "next", 200)]
)


def _ids(row):
    return f"{row[0]}-{row[1]}-{row[2]}"


@pytest.mark.parametrize("role,path,param,big_status", PARAMS, ids=[_ids(r) for r in PARAMS])
def test_huge_numbers_and_nul_bytes_in_staff_parameters(client, login_as, role, path, param, big_status):
    if role:
        login_as(role)
    big = client.get(f"{path}?{param}={BIG}")
    assert big.status_code == big_status, big.get_data(as_text=True)[:500]
    negative = client.get(f"{path}?{param}={BIG_NEGATIVE}")
    assert negative.status_code == big_status
    for value in (NUL, f"a{NUL}b", f"{BIG}{NUL}"):
        resp = client.get(f"{path}?{param}={value}")
        assert resp.status_code == 400, (value, resp.status_code)
    # The parameter name may carry the NUL too.
    assert client.get(f"{path}?{param}{NUL}=1").status_code == 400


@pytest.mark.parametrize(
    "role,path",
    [
        ("admin", f"/admin/users/{BIG}"),
        ("admin", f"/admin/users/{INT32_OVER}"),
        ("supervisor", f"/trends/responses/{INT32_OVER}"),
        ("partner", f"/partner/reports/{INT32_OVER}"),
        ("commander", f"/trends/responses/{BIG}"),
        ("partner", f"/partner/reports/{BIG}"),
        ("officer", f"/cases/C-1/photos/{BIG}"),
    ],
)
def test_huge_ids_in_paths_are_not_found(client, login_as, role, path):
    login_as(role)
    assert client.get(path).status_code == 404


def test_huge_ids_in_posted_forms_are_refused(client, login_as, make_report):
    report, _receipt = make_report()
    login_as("officer")
    ref = report.case.ref
    token = csrf_token(client, f"/cases/{ref}")
    for value in (BIG, INT32_OVER):
        resp = client.post(f"/cases/{ref}/assign", data={"csrf_token": token, "assignee": value})
        assert resp.status_code in (302, 400)
        resp = client.post(f"/cases/{ref}/messages", data={"csrf_token": token, "report": value, "body": "Hello"})
        assert resp.status_code in (302, 400)
    assert client.post(f"/account/tokens/{INT32_OVER}/revoke", data={"rev-csrf_token": token}).status_code in (400, 404)
    resp = client.post(f"/account/tokens/{BIG}/revoke", data={"rev-csrf_token": token})
    assert resp.status_code in (400, 404)


def test_commander_response_with_huge_region_or_unit_is_refused(client, login_as):
    login_as("commander")
    token = csrf_token(client, "/trends/responses/new")
    for field in ("region", "unit"):
        for value in (BIG, INT32_OVER):
            resp = client.post("/trends/responses/new", data={
                "csrf_token": token, "text": "We changed the patrol schedule.", "grain": "month",
                "period": "2026-01-01", field: value, "action": "save",
            })
            assert resp.status_code in (302, 400), field


def test_a_forged_queue_cursor_holding_huge_numbers_is_refused(client, login_as):
    import base64

    login_as("officer")
    for raw in (f"1|2026-01-01T00:00:00.000000|{BIG}", f"{BIG}|2026-01-01T00:00:00.000000|1",
                f"1|2026-01-01T00:00:00.000000|{INT32_OVER}"):
        cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        assert client.get(f"/cases?after={cursor}").status_code == 400
        assert client.get(f"/api/v1/cases?cursor={cursor}").status_code == 400


def test_audit_page_before_beyond_the_range(client, login_as):
    login_as("supervisor")
    assert client.get(f"/cases/audit?before={INT32_OVER}").status_code == 400
    assert client.get("/cases/audit?before=2147483647").status_code == 200
    assert client.get(f"/partner/reports?after={INT32_OVER}").status_code in (400, 403)


def test_partner_cursor_beyond_the_id_range(client, login_as):
    login_as("partner")
    assert client.get(f"/partner/reports?after={INT32_OVER}").status_code == 400
    assert client.get("/partner/reports?after=2147483647").status_code == 200
