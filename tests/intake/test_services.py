"""submit_report and friends: what a reporter and an officer would notice."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.audit.service import verify
from tracker.cases.models import Case
from tracker.intake import services
from tracker.intake.models import IdempotencyKey, Message, PulseResponse, Report
from tracker.intake.schema import validate_report


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_submission_opens_a_routed_case_with_a_deadline(make_report, db, app):
    report, receipt = make_report()
    case = report.case
    assert report.severity == "high"  # assault + injured
    assert case.state == "new" and case.severity == "high" and case.severity_rank == 1
    assert case.body.code == "NOC"
    assert case.region_id == report.region_id and case.force_id == report.force_id
    assert case.occurred_on == report.occurred_on
    year = case.created_at.year
    assert case.ref == f"{year}-{case.id:06d}"
    assert case.triage_due_at - case.created_at == timedelta(hours=app.config["TRIAGE_DEADLINES"]["high"])
    assert report.category_codes == ["assault", "property_destruction"]
    assert report.narrative == "Soldiers came at night and beat two men."
    assert (report.latitude, report.longitude) == (12.35, -71.99)


def test_case_refs_are_unique(make_report):
    refs = {make_report()[0].case.ref for _ in range(3)}
    assert len(refs) == 3


def test_critical_reports_are_flagged(make_report):
    report, _ = make_report(categories=["killing"], harm={"killed": 1})
    assert report.severity == "critical" and report.case.severity_rank == 0


def test_audit_events_carry_no_identity(make_report, db):
    report, receipt = make_report()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    assert "case.opened" in actions and "report.submitted" in actions
    for ev in events:
        blob = repr(ev.data)
        for secret in ("Amina", "555", "market", "Soldiers", receipt, "Green trucks"):
            assert secret not in blob
        assert ev.actor_user_id is None
    assert verify().ok


def test_same_idempotency_key_gives_one_report_and_the_same_receipt(make_report, db):
    first, receipt1 = make_report(idempotency_key="resend-123")
    second, receipt2 = make_report(idempotency_key="resend-123")
    assert receipt1 == receipt2 and first.id == second.id
    assert _count(db, Report) == 1 and _count(db, Case) == 1
    third, receipt3 = make_report(idempotency_key="another")
    assert receipt3 != receipt1 and _count(db, Report) == 2
    # the key itself is not stored in clear
    keys = db.session.scalars(sa.select(IdempotencyKey.key_hash)).all()
    assert "resend-123" not in keys and len(keys) == 2


def test_idempotency_race_loser_returns_the_winner(make_report, db, report_payload, monkeypatch):
    winner, receipt = make_report(idempotency_key="racing")
    data, errors = validate_report(report_payload(idempotency_key="racing"), strict_types=True)
    # The second request looked before the first committed, so it saw no key;
    # its insert of the same key then fails and it must return the winner.
    real = services._existing_for_key
    calls = []

    def first_lookup_misses(key_hash):
        calls.append(key_hash)
        return None if len(calls) == 1 else real(key_hash)

    monkeypatch.setattr(services, "_existing_for_key", first_lookup_misses)
    result = services.submit_report(data)
    db.session.commit()
    assert len(calls) == 2
    assert result.created is False and result.receipt == receipt and result.report.id == winner.id
    assert _count(db, Report) == 1 and _count(db, Case) == 1
    assert verify().ok


def test_a_receipt_drawn_twice_is_drawn_again_and_the_report_filed(make_report, db, report_payload, monkeypatch):
    # One chance in 10**10, so forced: the next draw repeats a receipt already
    # given. The second reporter still gets a report, with a receipt of its own.
    first, receipt = make_report(idempotency_key="first")
    digits = receipt.replace(" ", "")
    draws = iter([digits, digits, "0000111122223333"])
    monkeypatch.setattr(services, "generate_receipt", lambda: next(draws))
    data, errors = validate_report(report_payload(idempotency_key="second"), strict_types=True)
    assert not errors
    result = services.submit_report(data)
    db.session.commit()
    assert result.created is True and result.receipt == "0000111122223333"
    assert _count(db, Report) == 2 and _count(db, Case) == 2
    assert services.lookup_report(receipt).id == first.id
    assert services.lookup_report("0000 1111 2222 3333").id == result.report.id
    assert verify().ok


def test_sensitive_fields_are_encrypted_at_rest(make_report, db):
    report, _ = make_report(narrative="The captain shouted BLUEFOX", place_description="Behind the mill",
                            unit_description="Red beret", contact={"name": "Yusuf Q", "phone": "777123"})
    row = db.session.execute(
        sa.text("SELECT narrative_enc, contact_enc, place_description_enc, unit_description_enc FROM report WHERE id = :i"),
        {"i": report.id},
    ).one()
    for raw, plain in zip(row, ["BLUEFOX", "Yusuf Q", "Behind the mill", "Red beret"], strict=False):
        assert raw is not None
        assert plain.encode() not in bytes(raw)
    assert report.contact["name"] == "Yusuf Q"


def test_contact_is_not_kept_without_consent(make_report):
    report, _ = make_report(consent={"contact": False})
    assert report.contact_enc is None and report.consent_contact is False


def test_pulse_with_a_report_is_stored_unlinked_with_the_month_only(make_report, db):
    report, _ = make_report(pulse={"respect": 2, "safety": 1})
    pulse = db.session.scalars(sa.select(PulseResponse)).one()
    assert pulse.source == "report" and pulse.month.day == 1
    assert pulse.region_id == report.region_id and pulse.respect == 2 and pulse.voice is None
    assert "report_id" not in PulseResponse.__table__.columns


def test_no_pulse_row_without_answers(make_report, db):
    make_report()
    assert _count(db, PulseResponse) == 0


def test_lookup_and_followup_view(make_report, db):
    report, receipt = make_report()
    assert services.lookup_report(receipt) is report
    assert services.lookup_report(" ".join(receipt[i:i + 4] for i in range(0, 16, 4))) is report
    assert services.lookup_report("0000 0000 0000 0000") is None or receipt == "0" * 16
    assert services.lookup_report("not a receipt") is None
    db.session.add(Message(report=report, sender="officer", body="We are looking into it."))
    db.session.flush()
    view = services.followup_view(report, "en")
    assert view["status"] == "new" and view["status_label"] == "New"
    assert view["messages"][0]["from"] == "officer" and view["messages"][0]["body"] == "We are looking into it."
    assert len(view["messages"][0]["sent_on"]) == 10


def test_reporter_message_flags_news_and_is_audited(make_report, db):
    report, _ = make_report()
    msg = services.add_reporter_message(report, "  They came back today. ")
    db.session.commit()
    assert msg.body == "They came back today." and msg.sender == "reporter"
    assert report.has_news and report.case.has_news
    assert b"came back" not in bytes(db.session.execute(sa.text("SELECT body_enc FROM message")).scalar_one())
    ev = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "message.reporter")).one()
    assert ev.data == {"report_id": report.id, "case_id": report.case_id}
    with pytest.raises(ValueError):
        services.add_reporter_message(report, "   ")


def test_record_pulse(db):
    pulse = services.record_pulse("XV0201", {"respect": 5, "voice": None, "fairness": 1}, "fr")
    db.session.commit()
    assert pulse.source == "standalone" and pulse.language == "fr" and pulse.month.day == 1
    assert (pulse.respect, pulse.voice, pulse.fairness, pulse.safety) == (5, None, 1, None)
    with pytest.raises(ValueError):
        services.record_pulse("XV9999", {"respect": 5}, "en")
    with pytest.raises(ValueError):
        services.record_pulse("XV0201", {"respect": 6}, "en")


def test_partner_filing_marks_the_organisation(make_report, make_user, db):
    partner = make_user("partner")
    report, _ = make_report(filed_by=partner)
    assert report.filed_by_user_id == partner.id
    assert report.filed_by_org_id == partner.organisation_id is not None or report.filed_by_org_id is not None
    submitted = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "report.submitted")).one()
    assert submitted.actor_role == "partner" and submitted.data["filed_by_org_id"] == partner.organisation_id
