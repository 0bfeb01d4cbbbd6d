"""Queue filters, keyset pages, search without plaintext, CSV export."""
import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.fixtures.accounts import csrf_token  # noqa: F401
from tracker.audit.models import AuditEvent
from tracker.cases.models import CaseSearchToken
from tracker.cases.queue import CursorError, QueueFilters, parse_filters, queue_page
from tracker.cases.search import normalise, tokens
from tracker.core.db import utcnow


def _all_pages(user, filters, limit):
    seen, cursor, pages = [], None, 0
    while True:
        page = queue_page(user, filters, cursor, limit=limit)
        seen.extend(c.id for c in page.cases)
        pages += 1
        if not page.next_cursor:
            return seen, pages
        cursor = page.next_cursor


def test_keyset_pages_return_every_case_once_in_order(app, db, make_user, make_case):
    officer = make_user("officer")
    base = utcnow() - timedelta(days=10)
    made = []
    for i in range(23):
        sev = ["critical", "high", "medium", "low"][i % 4]
        # Several cases share a created_at: the id breaks the tie.
        made.append(make_case(state="triaged", severity=sev, created_at=base + timedelta(hours=i // 3), commit=False))
    make_case(state="new", body_="OTHER")
    db.session.commit()
    seen, pages = _all_pages(officer, QueueFilters(), limit=5)
    assert pages == 5
    assert sorted(seen) == sorted(c.id for c in made) and len(seen) == len(set(seen))
    order = [(c.severity_rank, c.created_at, c.id) for c in sorted(made, key=lambda c: seen.index(c.id))]
    assert order == sorted(order)
    assert [c.severity for c in queue_page(officer, QueueFilters(), limit=3).cases] == ["critical"] * 3


def test_forged_cursor_is_refused_cleanly(app, client, make_user, login_as):
    officer = make_user("officer")
    with pytest.raises(CursorError):
        queue_page(officer, QueueFilters(), "not-a-cursor!")
    login_as(officer)
    resp = client.get("/cases?after=garbage&severity=nonsense")
    assert resp.status_code == 400  # the first page, with the messages
    assert "Unknown severity." in resp.get_data(as_text=True)


def test_filters(app, db, make_user, case_for_report):
    officer = make_user("officer")
    a = case_for_report(categories=["killing"], region="XV0101", force="ARMY")
    b = case_for_report(categories=["threats"], harm={"injured": 0, "property_damaged": False}, region="XV0101", unit="BDE4")
    b.assigned_to_id = officer.id
    b.has_news = True
    db.session.commit()

    def ids(**args):
        return {c.id for c in queue_page(officer, parse_filters(args)).cases}

    assert ids() == {a.id, b.id}
    assert ids(category="killing") == {a.id}
    assert ids(severity="critical") == {a.id}
    assert ids(state="escalated") == {a.id}
    assert ids(mine="1") == {b.id}
    assert ids(news="1") == {b.id}
    assert ids(region="XV01") == {a.id, b.id}  # province includes its districts
    assert ids(region="XV02") == set()
    assert ids(force="ARMY") == {a.id, b.id}
    b.triage_due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert ids(overdue="1") == {b.id}
    assert parse_filters({"severity": "huge"}).errors


@pytest.mark.parametrize("selective", [5000, 0], ids=["rare-word-first", "walk-the-queue"])
def test_search_finds_words_without_storing_them(app, db, make_user, case_for_report, monkeypatch, selective):
    monkeypatch.setattr("tracker.cases.search.SELECTIVE", selective)
    officer = make_user("officer")
    a = case_for_report(narrative="Los soldados quemaron la ESCUELA del pueblo")
    b = case_for_report(narrative="Une patrouille a fouillé les maisons", language="fr")
    c = case_for_report(narrative="دخلت الدورية إلى المدرسة")

    def found(q):
        return {x.id for x in queue_page(officer, parse_filters({"q": q})).cases}

    assert found("escuela") == {a.id}
    assert found("Escuela soldados") == {a.id}
    assert found("escuela maisons") == set()  # every word must be there
    assert found("FOUILLE") == {b.id}  # accents folded
    assert found("الدوريه") == {c.id}  # ta marbuta normalised
    stored = db.session.scalars(sa.select(CaseSearchToken.token_hash)).all()
    assert stored and all(len(h) == 64 for h in stored)
    assert not any(w in h for h in stored for w in ("escuela", "soldados", "maisons"))


def test_normalise_and_tokens():
    assert normalise("Él ÉCOLE") == "el ecole"
    assert normalise("أحمد") == "احمد"
    assert tokens("a bb bb cc, dd!") == ["bb", "cc", "dd"]


def test_merge_moves_search_tokens(app, db, make_user, case_for_report):
    from tracker.cases.workflow import perform

    officer = make_user("officer")
    a = case_for_report(narrative="granary burned")
    b = case_for_report(narrative="boats seized")
    perform(a, "merge", officer, target=b)
    db.session.commit()
    assert {x.id for x in queue_page(officer, parse_filters({"q": "granary", "state": "all"})).cases} == {b.id}


def test_csv_export_for_supervisors(app, db, client, login_as, case_for_report):
    a = case_for_report(categories=["killing"], narrative="Secret narrative text")
    case_for_report(categories=["threats"], harm={"injured": 0, "property_damaged": False})
    login_as("supervisor")
    resp = client.get("/cases/export.csv?severity=critical")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["ref"] for r in rows] == [a.ref]
    assert rows[0]["severity"] == "critical" and rows[0]["categories"] == "killing"
    assert rows[0]["region_pcode"] == "XV0101" and rows[0]["state"] == "escalated"
    text = resp.get_data(as_text=True)
    assert "Secret narrative" not in text and "Amina" not in text and "555" not in text
    ev = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "cases.export"))
    assert ev.data["rows"] == 1 and ev.data["filters"] == {"severity": "critical"}


def test_officer_cannot_export_or_read_audit(app, client, login_as):
    login_as("officer")
    assert client.get("/cases/export.csv").status_code == 403
    assert client.get("/cases/audit").status_code == 403


def test_supervisor_audit_page_shows_only_own_body(app, db, client, login_as, make_user, make_case):
    from tracker.cases.workflow import perform

    mine = make_case(state="new")
    theirs = make_case(state="new", body_="OTHER")
    perform(mine, "triage", make_user("officer"))
    perform(theirs, "triage", make_user("officer", body="OTHER"))
    db.session.commit()
    login_as("supervisor")
    html = client.get("/cases/audit").get_data(as_text=True)
    assert mine.ref in html and theirs.ref not in html


def test_duplicates_are_suggested(app, db, client, login_as, case_for_report):
    a = case_for_report(narrative="Soldiers burned the granary near the river", categories=["property_destruction"])
    b = case_for_report(narrative="The granary by the river was burned", categories=["property_destruction"])
    far = case_for_report(region="XV0201", categories=["property_destruction"])
    from tracker.cases.duplicates import suggest_duplicates

    sugg = suggest_duplicates(a)
    assert [s.case.id for s in sugg] == [b.id]
    assert sugg[0].shared_words >= 3 and sugg[0].shared_categories == ["property_destruction"]
    assert far.id not in [s.case.id for s in sugg]
