"""Partners follow the reports their organisation filed (DESIGN §1, partner row).

A partner sees the list of reports filed by their own organisation (never
another's), each report's status in their language, the message thread with
the oversight officer, and adds information without the receipt; the
reporter's contact details stay hidden from them.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.fixtures.accounts import csrf_token
from tests.intake.test_views import submit, valid_form
from tracker.core.db import utcnow

CONTACT_NAME = "Amina Partnerfiled"
CONTACT_PHONE = "+000 555 0199"


@pytest.fixture
def org_b_partner(make_user):
    return make_user("partner", organisation="ORGB")


def _file(make_report, partner, **overrides):
    overrides.setdefault("contact", {"name": CONTACT_NAME, "phone": CONTACT_PHONE, "safe_times": "Mornings"})
    report, _receipt = make_report(filed_by=partner, **overrides)
    return report


def _officer_writes(make_user, report, body):
    from tracker.cases import workflow
    from tracker.extensions import db

    officer = make_user("officer")
    workflow.message_reporter(report.case, officer, body, report=report)
    db.session.commit()
    return officer


def _post_message(client, report_id, body):
    url = f"/partner/reports/{report_id}"
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "body": body})


# --------------------------------------------------------------------- the list


def test_a_partner_lists_only_their_organisations_reports(client, login_as, make_user, make_report, org_b_partner):
    colleague = make_user("partner")  # CRN, like the signed-in partner
    ours = _file(make_report, colleague, region="XV0101")
    theirs = _file(make_report, org_b_partner)
    login_as("partner")

    html = client.get("/partner/reports").get_data(as_text=True)

    assert f'href="/partner/reports/{ours.id}"' in html
    assert f'href="/partner/reports/{theirs.id}"' not in html
    assert ours.region.name("en") in html
    assert "Beating or assault" in html  # categories, translated labels
    assert "New" in html  # the case's status


def test_org_b_partner_sees_only_org_b(client, login_as, make_user, make_report, org_b_partner):
    ours = _file(make_report, make_user("partner"))
    theirs = _file(make_report, org_b_partner)
    login_as(org_b_partner)

    html = client.get("/partner/reports").get_data(as_text=True)
    assert f'href="/partner/reports/{theirs.id}"' in html
    assert f'href="/partner/reports/{ours.id}"' not in html


def test_another_organisations_report_is_not_found(client, login_as, make_user, make_report, org_b_partner):
    from tracker.extensions import db
    from tracker.intake.models import Message

    theirs = _file(make_report, org_b_partner, narrative="Org B narrative that must stay hidden")
    login_as("partner")  # CRN

    resp = client.get(f"/partner/reports/{theirs.id}")
    assert resp.status_code == 404
    assert "Org B narrative" not in resp.get_data(as_text=True)
    token = csrf_token(client, "/account")
    resp = client.post(f"/partner/reports/{theirs.id}", data={"csrf_token": token, "body": "Sneaky addition"})
    assert resp.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.report_id == theirs.id)) == 0
    assert client.get("/partner/reports/999999").status_code == 404


def test_reports_filed_anonymously_are_not_listed(client, login_as, make_report):
    anonymous, _ = make_report()
    login_as("partner")
    html = client.get("/partner/reports").get_data(as_text=True)
    assert f"/partner/reports/{anonymous.id}" not in html
    assert "has not filed any report yet" in html
    assert client.get(f"/partner/reports/{anonymous.id}").status_code == 404


@pytest.mark.parametrize("role", ["officer", "supervisor", "commander", "admin"])
def test_other_roles_are_refused(app, client, login_as, make_user, make_report, role):
    report = _file(make_report, make_user("partner"))
    login_as(role)
    assert client.get("/partner/reports").status_code == 403
    assert client.get(f"/partner/reports/{report.id}").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, make_user, make_report):
    report = _file(make_report, make_user("partner"))
    for url in ("/partner/reports", f"/partner/reports/{report.id}"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_newest_first_and_filtered_by_status(client, login_as, make_user, make_report):
    from tracker.cases import workflow
    from tracker.extensions import db

    filer = make_user("partner")
    older = _file(make_report, filer)
    newer = _file(make_report, filer)
    older.created_at = utcnow() - timedelta(days=2)
    workflow.perform(older.case, "triage", make_user("officer"))
    db.session.commit()
    login_as("partner")

    html = client.get("/partner/reports").get_data(as_text=True)
    assert html.index(f"/partner/reports/{newer.id}") < html.index(f"/partner/reports/{older.id}")

    html = client.get("/partner/reports?status=triaged").get_data(as_text=True)
    assert f"/partner/reports/{older.id}" in html and f"/partner/reports/{newer.id}" not in html
    assert 'value="triaged" selected' in html

    html = client.get("/partner/reports?status=closed").get_data(as_text=True)
    assert "No reports match this filter." in html

    # An unknown status is ignored, never an error.
    resp = client.get("/partner/reports?status=nonsense&after=abc")
    assert resp.status_code == 400 and f"/partner/reports/{newer.id}" in resp.get_data(as_text=True)


def test_keyset_pages_cover_every_report_once(app, make_user, make_report, org_b_partner):
    from tracker.extensions import db
    from tracker.intake.partner import list_filed_reports

    filer = make_user("partner")
    mine = [_file(make_report, filer) for _ in range(5)]
    same_time = utcnow() - timedelta(hours=1)
    for r in mine[1:3]:  # ties on created_at are broken by id
        r.created_at = same_time
    db.session.commit()
    foreign = _file(make_report, org_b_partner)
    org_id = filer.organisation_id

    seen, after = [], None
    while True:
        page = list_filed_reports(org_id, after=after, page_size=2)
        seen += [row.id for row in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    expected = [r.id for r in sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True)]
    assert seen == expected
    # A cursor taken from another organisation does not leak or skip anything.
    assert [row.id for row in list_filed_reports(org_id, after=foreign.id, page_size=10).rows] == expected


def test_pager_link_on_the_page(client, login_as, make_user, make_report, monkeypatch):
    from tracker.intake import partner

    monkeypatch.setattr(partner, "PAGE_SIZE", 1)
    filer = make_user("partner")
    first = _file(make_report, filer)
    second = _file(make_report, filer)
    login_as("partner")
    html = client.get("/partner/reports").get_data(as_text=True)
    assert f"/partner/reports/{second.id}" in html and f"/partner/reports/{first.id}\"" not in html
    assert f"after={second.id}" in html
    html = client.get(f"/partner/reports?after={second.id}").get_data(as_text=True)
    assert f"/partner/reports/{first.id}" in html


# ----------------------------------------------------------------- one report


def test_detail_shows_status_and_consent_but_never_contact_details(client, login_as, make_user, make_report):
    report = _file(make_report, make_user("partner"), narrative="Partner narrative")
    login_as("partner")
    resp = client.get(f"/partner/reports/{report.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="status">New<' in html
    assert "The person agreed to be contacted by the oversight body." in html
    assert CONTACT_NAME not in html and CONTACT_PHONE not in html and "Mornings" not in html
    assert resp.headers["Cache-Control"] == "no-store"


def test_detail_without_contact_consent(client, login_as, make_user, make_report):
    report = _file(make_report, make_user("partner"), consent={"contact": False})
    login_as("partner")
    html = client.get(f"/partner/reports/{report.id}").get_data(as_text=True)
    assert "The person did not agree to be contacted." in html


def test_officer_message_is_shown_and_marked_as_news(client, login_as, make_user, make_report):
    report = _file(make_report, make_user("partner"))
    quiet = _file(make_report, make_user("partner"))
    _officer_writes(make_user, report, "Could you tell us which day exactly?")
    login_as("partner")

    listing = client.get("/partner/reports").get_data(as_text=True)
    assert listing.count("New message from the officer") == 1
    item = listing[listing.index(f"/partner/reports/{report.id}"):]
    assert "New message from the officer" in item[: item.find("</li>")]
    assert f"/partner/reports/{quiet.id}" in listing

    html = client.get(f"/partner/reports/{report.id}").get_data(as_text=True)
    assert "Could you tell us which day exactly?" in html
    assert "Oversight officer" in html


def test_follow_up_message_appears_on_the_case(app, client, login_as, make_user, make_report):
    from tracker.audit.models import AuditEvent
    from tracker.extensions import db
    from tracker.intake.models import Message

    report = _file(make_report, make_user("partner"))
    _officer_writes(make_user, report, "Which day was it?")
    partner = login_as("partner")

    resp = _post_message(client, report.id, "It was on the Tuesday, before dawn.")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/partner/reports/{report.id}")

    html = client.get(f"/partner/reports/{report.id}").get_data(as_text=True)
    assert "Your information was added to the report." in html
    assert "It was on the Tuesday, before dawn." in html
    assert "Your organisation" in html
    assert "New message from the officer" not in html  # answered

    db.session.expire_all()
    msg = db.session.scalar(sa.select(Message).where(Message.report_id == report.id).order_by(Message.id.desc()))
    assert msg.sender == "reporter" and msg.author_user_id == partner.id
    assert report.case.has_news is True  # the officer sees there is news

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "message.reporter")
                              .order_by(AuditEvent.id.desc()))
    assert event.actor_user_id == partner.id and event.object_id == msg.id
    assert "Tuesday" not in str(event.data)

    officer_client = app.test_client()
    login_as("officer", officer_client)
    case_html = officer_client.get(f"/cases/{report.case.ref}").get_data(as_text=True)
    assert "It was on the Tuesday, before dawn." in case_html


def test_a_colleagues_report_can_be_followed_up(client, login_as, make_user, make_report):
    report = _file(make_report, make_user("partner"))  # filed by another CRN partner
    login_as("partner")
    assert _post_message(client, report.id, "Adding the names of the street.").status_code == 302


def test_empty_message_is_refused_next_to_the_field(client, login_as, make_user, make_report):
    from tracker.extensions import db
    from tracker.intake.models import Message

    report = _file(make_report, make_user("partner"))
    login_as("partner")
    resp = _post_message(client, report.id, "   ")
    assert resp.status_code == 400
    assert 'class="field-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.report_id == report.id)) == 0


def test_status_is_translated_in_spanish(client, login_as, make_user, make_report):
    from tracker.cases import workflow
    from tracker.cases.models import STATES
    from tracker.extensions import db

    report = _file(make_report, make_user("partner"))
    workflow.perform(report.case, "triage", make_user("officer"))
    db.session.commit()
    with force_locale("es"):
        triaged_es = str(STATES["triaged"])
        category_es = str(__import__("tracker.reference.models", fromlist=["CATEGORIES"]).CATEGORIES["assault"])
    assert triaged_es != "Triaged"
    login_as("partner")

    listing = client.get("/partner/reports?lang=es").get_data(as_text=True)
    assert triaged_es in listing and ">Triaged<" not in listing
    assert category_es in listing
    detail = client.get(f"/partner/reports/{report.id}").get_data(as_text=True)  # language remembered
    assert f'id="status">{triaged_es}<' in detail


# ----------------------------------------------------------- links to the pages


def test_partner_navigation_and_receipt_link_to_the_reports(client, login_as):
    from tracker.extensions import db
    from tracker.intake.models import Report

    login_as("partner")
    assert 'href="/partner/reports"' in client.get("/report").get_data(as_text=True)  # staff navigation

    resp = submit(client, valid_form(client))
    assert resp.status_code == 302
    receipt = client.get(resp.headers["Location"]).get_data(as_text=True)
    report = db.session.scalar(sa.select(Report).order_by(Report.id.desc()))
    assert report.filed_by_org_id is not None
    assert f'href="/partner/reports/{report.id}"' in receipt
    assert 'href="/partner/reports"' in receipt


def test_anonymous_receipt_has_no_partner_links(client):
    resp = submit(client, valid_form(client))
    assert resp.status_code == 302
    receipt = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "This is your receipt code" in receipt
    assert "/partner/reports" not in receipt
