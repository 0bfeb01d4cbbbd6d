"""Retention applied by ``flask --app tracker sweep`` (issue 8, item 8):
per kind of data (photos, contact details, closed cases), days after a case
is closed or rejected; open cases are never touched."""
from datetime import timedelta

import sqlalchemy as sa

from tests.fixtures.factories import create_report, make_jpeg
from tracker.admin.settings import set_setting
from tracker.audit.models import AuditEvent
from tracker.cases.models import Case, CaseNote, CaseSearchToken
from tracker.core.db import utcnow
from tracker.intake import services
from tracker.intake.models import Message, Photo, Report
from tracker.intake.photos import UploadedPhoto, process_photos


def report_with_everything(narrative: str):
    photos, _ = process_photos([UploadedPhoto("a.jpg", make_jpeg(40, 30))])
    report, receipt = create_report(photos=photos, narrative=narrative)
    services.add_reporter_message(report, f"Message about {narrative}")
    return report, receipt


def finish(db, report, state: str, days_ago: int):
    db.session.execute(sa.update(Case).where(Case.id == report.case_id)
                       .values(state=state, updated_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


def test_sweep_applies_the_retention_policy(app, db, runner):
    old, old_receipt = report_with_everything("closed long ago")
    db.session.add(CaseNote(case_id=old.case_id, kind="note", body="Officer wrote the victim's name"))
    recent, _ = report_with_everything("closed two months ago")
    rejected, _ = report_with_everything("rejected long ago")
    open_, _ = report_with_everything("still open")
    db.session.commit()
    finish(db, old, "closed", 400)
    finish(db, recent, "closed", 60)
    finish(db, rejected, "rejected", 100)
    db.session.execute(sa.update(Case).where(Case.id == open_.case_id)
                       .values(state="investigating", updated_at=utcnow() - timedelta(days=900)))
    set_setting("retention", {"photos": 90, "contact": 30, "closed_cases": 365})
    db.session.commit()
    ids = {name: r.id for name, r in (("old", old), ("recent", recent), ("rejected", rejected), ("open", open_))}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseSearchToken)
                             .where(CaseSearchToken.report_id == ids["old"])) > 0

    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "retention:" in result.output
    db.session.expire_all()

    def photos(name):
        return db.session.scalar(sa.select(sa.func.count()).select_from(Photo).where(Photo.report_id == ids[name]))

    reports = {name: db.session.get(Report, i) for name, i in ids.items()}
    # Closed 400 days ago (> 365): everything identifying erased, the codes kept.
    r = reports["old"]
    assert r.narrative is None and r.place_description is None and r.unit_description is None
    assert r.latitude is None and r.longitude is None and r.contact is None and photos("old") == 0
    assert [m.body for m in db.session.scalars(sa.select(Message).where(Message.report_id == r.id))] == [""]
    assert "name" not in db.session.scalar(sa.select(CaseNote).where(CaseNote.case_id == r.case_id)).body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseSearchToken)
                             .where(CaseSearchToken.report_id == r.id)) == 0
    assert sorted(c.category for c in r.categories) == ["assault", "property_destruction"]
    assert r.region_id and r.injured == 2
    assert services.lookup_report(old_receipt).id == r.id  # the reporter still sees the status
    # Closed 60 days ago: contact (30) gone, photos (90) and text kept.
    r = reports["recent"]
    assert r.contact is None and photos("recent") == 1 and r.narrative == "closed two months ago"
    # Rejected 100 days ago: photos (90) and contact gone, text (365) kept.
    r = reports["rejected"]
    assert r.contact is None and photos("rejected") == 0 and r.narrative == "rejected long ago"
    # Open, however old: untouched.
    r = reports["open"]
    assert r.contact["name"] == "Amina" and photos("open") == 1 and r.narrative == "still open"

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "retention.applied"))
    assert event.data == {"photos": 2, "contacts": 3, "cases_erased": 1}
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    again = runner.invoke(args=["sweep"])
    assert "retention: 0 photos deleted, 0 contact details deleted, 0 finished cases erased" in again.output


def test_without_a_policy_nothing_is_erased_and_config_sets_one(app, db, runner):
    report, _ = report_with_everything("closed long ago")
    finish(db, report, "closed", 400)
    runner.invoke(args=["sweep"])
    db.session.expire_all()
    assert db.session.get(Report, report.id).contact["name"] == "Amina"

    app.config["TRACKER_RETENTION_CONTACT_DAYS"] = 30
    runner.invoke(args=["sweep"])
    db.session.expire_all()
    kept = db.session.get(Report, report.id)
    assert kept.contact is None and kept.narrative == "closed long ago"
