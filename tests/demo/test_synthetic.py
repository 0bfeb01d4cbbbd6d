"""The synthetic generator: deterministic, consistent, believable."""
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.cases.models import Case
from tracker.demo.synthetic import generate
from tracker.intake.models import Message, PulseResponse, Report, ReportCategory
from tracker.intake.severity import compute_severity
from tracker.reference.models import Force, Operation, Region

TODAY = date(2026, 6, 15)


def _snapshot(db, first_id: int, last_id: int) -> list[tuple]:
    """Everything about a range of reports except ids and receipt hashes."""
    rows = db.session.execute(
        sa.select(Report, Case).join(Case, Report.case_id == Case.id)
        .where(Report.id.between(first_id, last_id)).order_by(Report.id)
    ).all()
    out = []
    for report, case in rows:
        out.append((
            report.occurred_on, report.occurred_precision, report.created_at, report.region_id, report.force_id,
            report.unit_id, report.operation_id, tuple(report.category_codes), report.severity, report.killed,
            report.injured, report.detained, report.missing, report.displaced_households, report.property_damaged,
            report.victims_children, report.language, report.relationship_to_incident, tuple(report.needs),
            report.consent_contact, report.consent_statistics, report.narrative,
            case.state, case.outcome, case.verification, case.triaged_at, case.resolved_at, case.body_id,
        ))
    return out


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_same_seed_same_data(app, db):
    generate(150, seed=5, today=TODAY)
    db.session.commit()
    first = _snapshot(db, 1, 150)
    pulses_first = _count(db, PulseResponse)
    generate(150, seed=5, today=TODAY)
    db.session.commit()
    second = _snapshot(db, 151, 300)
    assert len(first) == 150
    assert first == second
    assert _count(db, PulseResponse) == 2 * pulses_first


def test_other_seed_other_data(app, db):
    generate(100, seed=1, today=TODAY)
    generate(100, seed=2, today=TODAY)
    db.session.commit()
    assert _snapshot(db, 1, 100) != _snapshot(db, 101, 200)


def test_reports_and_cases_are_consistent(app, db):
    result = generate(1500, seed=11, today=TODAY)
    db.session.commit()
    assert result.reports == 1500
    assert _count(db, Report) == 1500 and _count(db, Case) == 1500
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Report.case_id)))) == 1500
    assert _count(db, AuditEvent) == 0  # bulk synthetic rows are not events
    midnight = datetime.combine(TODAY, datetime.min.time())
    regions = {r.id: r for r in db.session.scalars(sa.select(Region))}
    force_kind = {f.id: f.kind for f in db.session.scalars(sa.select(Force))}
    operations = {o.id: o for o in db.session.scalars(sa.select(Operation))}
    for report in db.session.scalars(sa.select(Report).order_by(Report.id)):
        case = report.case
        harm = {"killed": report.killed, "injured": report.injured, "detained": report.detained,
                "missing": report.missing, "displaced_households": report.displaced_households,
                "property_damaged": report.property_damaged}
        victims = {"children": report.victims_children, "women": report.victims_women,
                   "elderly": report.victims_elderly, "disability": report.victims_disability}
        assert report.category_codes
        assert report.severity == compute_severity(report.category_codes, harm, victims) == case.severity
        assert TODAY - timedelta(days=366) <= report.occurred_on < TODAY
        assert report.created_at.date() >= report.occurred_on and report.created_at < midnight
        assert case.created_at == report.created_at and case.region_id == report.region_id
        assert case.body_id is not None  # routed
        if case.state == "new":
            assert case.triaged_at is None
        else:
            assert case.triaged_at is None or case.created_at <= case.triaged_at < midnight
        if case.state in ("resolved", "closed"):
            assert case.outcome and case.triaged_at <= case.resolved_at < midnight
        else:
            assert case.outcome is None and case.resolved_at is None
        if case.severity == "critical":
            assert case.escalated_at == case.created_at
        if regions[report.region_id].kind == "maritime":
            assert force_kind[report.force_id] in ("navy", "multinational", "unknown")
        if report.operation_id:
            op = operations[report.operation_id]
            assert op.force_id == report.force_id
            assert op.region_id in {report.region_id} | {a.id for a in regions[report.region_id].ancestors()}
            assert op.starts_on <= report.occurred_on and (op.ends_on is None or report.occurred_on <= op.ends_on)
        if report.occurred_precision == "month":
            assert report.occurred_on.day == 1


def test_the_mix_is_believable(app, db):
    result = generate(2000, seed=3, today=TODAY)
    db.session.commit()
    cats = Counter(dict(db.session.execute(
        sa.select(ReportCategory.category, sa.func.count()).group_by(ReportCategory.category)).all()))
    assert cats == Counter(result.categories)
    assert cats["threats"] + cats["illegal_search"] + cats["arbitrary_detention"] > 8 * cats["killing"] > 0
    assert len(cats) >= 15
    severities = Counter(result.severities)
    assert severities["medium"] + severities["high"] > 2 * severities["critical"] > 0
    states = Counter(result.states)
    assert states["new"] + states["triaged"] > states["resolved"] > 0
    assert {"investigating", "escalated", "closed", "rejected", "referred", "awaiting_info"} <= set(states)

    per_province = Counter()
    districts = Counter()
    for region_id, n in db.session.execute(sa.select(Report.region_id, sa.func.count()).group_by(Report.region_id)):
        region = db.session.get(Region, region_id)
        assert region.level == 2
        per_province[region.at_level(1).pcode] += n
        districts[region.at_level(1).pcode] += 1
    per_district = {p: per_province[p] / districts[p] for p in per_province}
    assert per_district["XV03"] > 2 * per_district["XV01"]  # Eastern Border is hotter
    assert per_district["XV02"] > 2 * per_district["XV01"]  # and River Valley

    # Every month of the last year has reports.
    months = {d.replace(day=1) for d in db.session.scalars(sa.select(Report.occurred_on))}
    assert len(months) >= 12


def test_pulse_answers_trust_lower_in_the_hot_border(app, db):
    result = generate(1500, seed=4, today=TODAY)
    db.session.commit()
    assert result.pulses == _count(db, PulseResponse) > 1500  # answers after reports plus standalone ones
    sources = Counter(db.session.scalars(sa.select(PulseResponse.source)))
    assert sources["standalone"] == 1500 and sources["report"] > 500

    def mean_trust(pcode):
        province = db.session.scalar(sa.select(Region).filter_by(pcode=pcode))
        ids = [c.id for c in province.children]
        values = []
        for p in db.session.scalars(sa.select(PulseResponse).where(PulseResponse.region_id.in_(ids))):
            values += [v for v in (p.respect, p.voice, p.fairness, p.safe_to_report) if v is not None]
        assert all(1 <= v <= 5 for v in values)
        return sum(values) / len(values)

    assert mean_trust("XV01") > mean_trust("XV03") + 0.4


def test_narratives_are_encrypted_readable_and_searchable(app, db):
    from tracker.cases.models import CaseSearchToken
    from tracker.cases.search import token_hashes

    generate(400, seed=8, today=TODAY)
    db.session.commit()
    with_text = db.session.scalars(sa.select(Report).where(Report.narrative_enc.is_not(None))).all()
    assert 50 < len(with_text) < 250
    for report in with_text[:20]:
        assert report.narrative and report.narrative.encode() not in report.narrative_enc

    def cases_with(word):
        (h,) = token_hashes(word)
        return db.session.scalar(sa.select(sa.func.count(sa.distinct(CaseSearchToken.case_id)))
                                 .where(CaseSearchToken.token_hash == h))

    assert cases_with("checkpoint") > 0 and cases_with("retén") > 0 and cases_with("الحاجز") > 0


def test_messages_go_with_cases_waiting_on_the_reporter(app, db):
    generate(800, seed=6, today=TODAY)
    db.session.commit()
    waiting = db.session.scalars(sa.select(Case).where(Case.state == "awaiting_info")).all()
    assert waiting
    for case in waiting:
        senders = [m.sender for m in case.reports[0].messages]
        assert senders[:1] == ["officer"] or not senders
    assert _count(db, Message) > 0


@pytest.mark.parametrize("n", [0, 1, 7])
def test_small_counts(app, db, n):
    result = generate(n, seed=1, today=TODAY, standalone_pulses=0)
    db.session.commit()
    assert result.reports == _count(db, Report) == n


def test_progress_is_reported_per_batch(app, db):
    seen = []
    generate(23, seed=1, today=TODAY, batch_size=10, progress=seen.append)
    assert seen == [10, 10, 3]


def test_ids_continue_after_existing_reports(app, db, make_report):
    report, _receipt = make_report()
    generate(5, seed=1, today=TODAY)
    db.session.commit()
    # The ORM still inserts after synthetic rows (sequences moved on PostgreSQL).
    later, _ = make_report()
    assert later.id > report.id + 5 and later.case_id > 5


def test_forked_producer_gives_the_same_rows(app, db):
    """Large runs build rows in a second process; the data must not change."""
    in_process = generate(120, seed=21, today=TODAY, batch_size=50, parallel=False)
    forked = generate(120, seed=21, today=TODAY, batch_size=50, parallel=True)
    db.session.commit()
    assert _snapshot(db, 1, 120) == _snapshot(db, 121, 240)
    assert forked.categories == in_process.categories and forked.pulses == in_process.pulses
    assert _count(db, PulseResponse) == 2 * in_process.pulses


def test_cases_are_assigned_to_the_bodys_officers(app, db, make_user):
    officer = make_user("officer")
    generate(200, seed=2, today=TODAY)
    db.session.commit()
    assigned = db.session.execute(sa.select(Case.state, Case.assigned_to_id)).all()
    assert {a for _s, a in assigned} <= {None, officer.id}
    assert any(a == officer.id for _s, a in assigned)
    assert all(a is None for s, a in assigned if s == "new")
