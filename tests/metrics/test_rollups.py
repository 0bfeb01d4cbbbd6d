"""Rollups: kept current as reports arrive and cases move, rebuilt from
scratch by ``flask rollup``, and equal to a count straight from the reports."""
import importlib
import random
import threading
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.metrics.rows import add_pulse, add_report
from tracker.metrics.models import DurationRollup, PulseRollup, ReportRollup


def _snapshot(db):
    out = []
    for model in (ReportRollup, DurationRollup, PulseRollup):
        cols = [c for c in model.__table__.c if c.name != "id"]
        rows = db.session.execute(sa.select(*cols)).all()
        out.append(sorted(tuple(r) for r in rows))
    return out


def _random_data(rng, n=120):
    regions = ["XV0101", "XV0102", "XV0201", "XV0302", "XV0402", "XV01"]
    for _ in range(n):
        d = date(2026, 1, 1) + timedelta(days=rng.randint(0, 150))
        state = rng.choice(["new", "triaged", "resolved", "closed", "investigating"])
        opened = datetime(d.year, d.month, d.day, 10)
        resolved = state in ("resolved", "closed")
        add_report(
            occurred_on=d if rng.random() < 0.8 else d.replace(day=1),
            precision="day" if rng.random() < 0.8 else "month",
            region=rng.choice(regions),
            force=rng.choice(["ARMY", "NAVY", None]) if True else None,
            unit=None,
            categories=rng.sample(["assault", "threats", "killing", "torture", "other"], rng.randint(0, 3)),
            severity=rng.choice(["critical", "high", "medium", "low"]),
            consent=rng.random() < 0.9,
            case_state=state,
            outcome=rng.choice(["substantiated", "partly_substantiated", "not_substantiated", "unable_to_determine"])
            if resolved else None,
            opened=opened,
            triaged=opened + timedelta(days=rng.randint(0, 40)) if state != "new" else None,
            resolved=opened + timedelta(days=rng.randint(1, 400)) if resolved else None,
            killed=rng.choice([0, 0, 1, 3]),
            detained=rng.choice([0, 2]),
            victims_children=rng.random() < 0.3,
            victims_women=rng.random() < 0.3,
        )
    for _ in range(n // 2):
        add_pulse(
            region=rng.choice(regions[:5]),
            month=date(2026, rng.randint(1, 5), 1),
            respect=rng.choice([None, 1, 2, 3, 4, 5]),
            voice=rng.choice([None, 3, 5]),
            safety=rng.choice([None, 1, 5]),
        )


def test_live_rollups_equal_a_rebuild(app, db, runner):
    rng = random.Random(11)
    # Commit in several transactions, as reports arrive one by one.
    for _ in range(4):
        _random_data(rng, 30)
        db.session.commit()
    live = _snapshot(db)
    assert live[0], "no rollup rows were written as reports arrived"
    result = runner.invoke(args=["rollup"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    rebuilt = _snapshot(db)
    assert live == rebuilt
    runner.invoke(args=["rollup"])  # idempotent
    db.session.expire_all()
    assert _snapshot(db) == rebuilt


def test_rollups_equal_a_count_from_the_raw_reports(app, db):
    from tracker.cases.models import Case
    from tracker.intake.models import Report
    from tracker.metrics.rollups import duration_bucket

    rng = random.Random(5)
    _random_data(rng, 150)
    db.session.commit()
    district = {}
    from tracker.reference.models import Region

    for r in db.session.scalars(sa.select(Region)):
        district[r.id] = r.id if r.level <= 2 else r.at_level(2).id
    expected = Counter()
    harm = Counter()
    outcomes = Counter()
    durations = Counter()
    per_cat = Counter()
    for rep in db.session.scalars(sa.select(Report)):
        if not rep.consent_statistics:
            continue
        month = rep.occurred_on.replace(day=1)
        key = (month, district[rep.region_id], rep.force_id or 0)
        expected[key] += 1
        harm[key] += rep.killed
        case = db.session.get(Case, rep.case_id)
        if case.state in ("resolved", "closed") and case.outcome:
            outcomes[(key, case.outcome)] += 1
            durations[(month, "resolution", duration_bucket((case.resolved_at - case.created_at).days))] += 1
        if case.triaged_at:
            durations[(month, "triage", duration_bucket((case.triaged_at - case.created_at).days))] += 1
        for c in rep.category_codes:
            per_cat[(month, c)] += 1

    got = defaultdict(int)
    got_harm = defaultdict(int)
    got_outcomes = defaultdict(int)
    got_cat = defaultdict(int)
    for row in db.session.scalars(sa.select(ReportRollup).where(ReportRollup.grain == "month")):
        if row.category == "*":
            key = (row.period_start, row.region_id, row.force_id)
            got[key] += row.reports
            got_harm[key] += row.killed
            for o in ("substantiated", "partly_substantiated", "not_substantiated", "unable_to_determine"):
                if getattr(row, o):
                    got_outcomes[(key, o)] += getattr(row, o)
        else:
            got_cat[(row.period_start, row.category)] += row.reports
    got_dur = defaultdict(int)
    for row in db.session.scalars(sa.select(DurationRollup)):
        got_dur[(row.period_start, row.kind, row.bucket)] += row.n
    assert dict(got) == dict(expected)
    assert {k: v for k, v in got_harm.items() if v} == {k: v for k, v in harm.items() if v}
    assert dict(got_outcomes) == dict(outcomes)
    assert dict(got_cat) == dict(per_cat)
    assert dict(got_dur) == dict(durations)


def test_a_report_without_consent_is_not_counted(app, db):
    add_report(consent=False)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportRollup)) == 0


def test_weeks_only_count_reports_with_an_exact_day(app, db):
    add_report(occurred_on=date(2026, 3, 1), precision="month")
    add_report(occurred_on=date(2026, 3, 11), precision="day")
    db.session.commit()
    rows = db.session.scalars(sa.select(ReportRollup).where(ReportRollup.category == "*")).all()
    assert sum(r.reports for r in rows if r.grain == "month") == 2
    weekly = [r for r in rows if r.grain == "week"]
    assert sum(r.reports for r in weekly) == 1 and weekly[0].period_start == date(2026, 3, 9)


def test_a_case_that_moves_updates_outcomes_and_durations(app, db):
    from tracker.cases.models import Case

    report = add_report(occurred_on=date(2026, 4, 2), opened=datetime(2026, 4, 2, 9))
    db.session.commit()
    case = db.session.get(Case, report.case_id)
    case.state, case.triaged_at = "triaged", datetime(2026, 4, 5, 9)
    db.session.commit()
    case.state, case.outcome, case.resolved_at = "resolved", "substantiated", datetime(2026, 4, 22, 9)
    db.session.commit()
    row = db.session.scalar(
        sa.select(ReportRollup).where(ReportRollup.grain == "month", ReportRollup.category == "*")
    )
    assert (row.resolved, row.substantiated) == (1, 1)
    hist = {(d.kind, d.bucket): d.n for d in db.session.scalars(sa.select(DurationRollup))}
    assert hist == {("triage", 3): 1, ("resolution", 20): 1}


def test_editing_a_report_moves_it_between_districts(app, db):
    from tracker.reference.models import Region

    report = add_report(region="XV0101")
    db.session.commit()
    report.region_id = db.session.scalar(sa.select(Region.id).where(Region.pcode == "XV0302"))
    db.session.commit()
    rows = db.session.scalars(sa.select(ReportRollup).where(ReportRollup.category == "*", ReportRollup.grain == "month")).all()
    assert [(r.region_id, r.reports) for r in rows] == [(report.region_id, 1)]


def test_pulse_answers_are_summed_exactly(app, db):
    add_pulse(respect=5, voice=4, fairness=None, safe_to_report=None, safety=2)
    add_pulse(respect=None, voice=None, fairness=None, safe_to_report=None, safety=None)
    db.session.commit()
    (row,) = db.session.scalars(sa.select(PulseRollup)).all()
    assert (row.n_trust, row.sum_trust, row.sumsq_trust) == (1, 54, 54 * 54)
    assert (row.n_safety, row.sum_safety) == (1, 24)


def test_reports_filed_through_intake_and_moved_through_the_workflow(app, db, make_report, make_user):
    """The real intake and workflow code paths keep rollups current too."""
    from tracker.cases.workflow import perform

    report, _receipt = make_report()
    row = db.session.scalar(sa.select(ReportRollup).where(ReportRollup.grain == "month", ReportRollup.category == "*"))
    assert row is not None and row.reports == 1
    officer = make_user("officer")
    case = report.case
    perform(case, "investigate", officer)
    db.session.commit()
    perform(case, "resolve", officer, outcome="substantiated")
    db.session.commit()
    db.session.expire_all()
    row = db.session.scalar(sa.select(ReportRollup).where(ReportRollup.grain == "month", ReportRollup.category == "*"))
    assert (row.resolved, row.substantiated) == (1, 1)
    live = _snapshot(db)
    from tracker.metrics.rollups import rebuild

    rebuild()
    db.session.commit()
    assert _snapshot(db) == live


def test_changing_a_reports_unit_moves_it_between_rows(app, db):
    from tracker.reference.models import Unit

    report = add_report(unit="BDE4")
    add_report(unit="BN12")
    db.session.commit()
    db.session.expire_all()
    report.unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == "SF1"))
    db.session.commit()
    live = _snapshot(db)
    from tracker.metrics.rollups import rebuild

    rebuild()
    db.session.commit()
    assert _snapshot(db) == live
    units = {r.unit_id for r in db.session.scalars(sa.select(ReportRollup).where(ReportRollup.reports > 0))}
    assert report.unit_id in units and len(units) == 2


def test_cases_moving_back_and_forth_keep_rollups_equal_to_a_rebuild(app, db, runner):
    """In-place upkeep: cases resolved, reopened, resolved again (two moves
    in one transaction, one inside a rolled-back savepoint), a report moved
    to another case and given another category: still equal to a rebuild,
    with no row left at zero."""
    from tracker.cases.models import Case
    from tracker.intake.models import ReportCategory

    rng = random.Random(5)
    reports = [
        add_report(occurred_on=date(2026, 4, rng.randint(1, 28)), opened=datetime(2026, 4, 1, 9),
                   unit=rng.choice(["BDE4", None]), categories=rng.sample(["assault", "threats", "torture"], 2))
        for _ in range(12)
    ]
    db.session.commit()
    cases = [db.session.get(Case, r.case_id) for r in reports]
    outcomes = ["substantiated", "not_substantiated", "unable_to_determine"]
    for step in range(6):
        for case in rng.sample(cases, 5):
            if case.state == "resolved":
                case.state, case.outcome, case.resolved_at = "investigating", None, None
            else:
                case.state, case.outcome = "resolved", rng.choice(outcomes)
                case.triaged_at = case.triaged_at or datetime(2026, 4, 1 + step, 9)
                case.resolved_at = datetime(2026, 4, 10, 9) + timedelta(days=rng.randint(0, 300))
            db.session.flush()
        case = rng.choice(cases)
        with db.session.begin_nested() as sp:
            case.state, case.outcome, case.resolved_at = "closed", "substantiated", datetime(2026, 9, 1)
            db.session.flush()
            sp.rollback()
        db.session.commit()

    def assert_equal_to_a_rebuild():
        live = _snapshot(db)
        assert all(row[8] > 0 for row in live[0]) and all(row[-1] > 0 for row in live[1])
        result = runner.invoke(args=["rollup"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        assert _snapshot(db) == live

    assert_equal_to_a_rebuild()
    moved = reports[0]
    moved.case_id = cases[1].id
    db.session.add(ReportCategory(report_id=reports[2].id, category="killing"))
    cases[1].state, cases[1].outcome, cases[1].resolved_at = "resolved", "substantiated", datetime(2026, 6, 1)
    db.session.commit()
    assert_equal_to_a_rebuild()


def test_a_pulse_answer_changed_in_the_transaction_that_added_it(app, db, runner):
    """New answers are added in place; one that is changed again before the
    commit is counted where it ends up, not where it was first flushed."""
    add_pulse(region="XV0101", respect=4, voice=4, safety=5)
    db.session.commit()
    moved = add_pulse(region="XV0101", respect=2, voice=2, safety=1)
    db.session.flush()
    moved.region_id = db.session.scalar(sa.text("SELECT id FROM region WHERE pcode = 'XV0201'"))
    moved.respect = 5
    add_pulse(region="XV0101", respect=1, safety=None)
    db.session.commit()
    live = _snapshot(db)
    assert runner.invoke(args=["rollup"]).exit_code == 0
    db.session.expire_all()
    assert _snapshot(db) == live
    by_region = {r.region_id: r for r in db.session.scalars(sa.select(PulseRollup))}
    # two answer sets counted in XV0101, the moved one in XV0201 only
    assert sorted(r.n_trust for r in by_region.values()) == [1, 2]


def _commit_meanwhile(app, db, work) -> None:
    """Run ``work(session)`` and commit it in another thread and session,
    give it a second, then commit this test's session, and wait for it."""
    from flask_sqlalchemy.session import Session

    done = []

    def elsewhere():
        with app.app_context():
            other = Session(db, bind=db.engine)
            try:
                work(other)
                other.commit()
                done.append(True)
            finally:
                other.close()

    worker = threading.Thread(target=elsewhere)
    worker.start()
    time.sleep(1.0)
    db.session.commit()
    worker.join(timeout=30)
    assert done == [True]


def _province_counts(db):
    """{(province P-code, district P-code): reports} from the month rows."""
    from tracker.reference.models import Region

    code = dict(db.session.execute(sa.select(Region.id, Region.pcode)).all())
    out = Counter()
    for row in db.session.scalars(sa.select(ReportRollup).where(ReportRollup.grain == "month",
                                                                 ReportRollup.category == "*")):
        out[(code.get(row.province_id), code.get(row.region_id))] += row.reports
    return dict(out)


def test_moving_a_district_to_another_province_moves_its_counts(app, db, runner):
    """An admin moves a district to another province (the form, then a CSV
    import moving it back): the province figures follow at once, with no
    ``flask rollup``, for the reports and pulse answers already counted."""
    from tracker.admin.services import import_regions, save_region
    from tracker.reference.models import Region

    for day in (3, 4, 5):
        add_report(region="XV0101", occurred_on=date(2026, 3, day))
    add_report(region="XV0102", occurred_on=date(2026, 3, 6))
    add_pulse(region="XV0101", respect=4, voice=4, safety=5)
    db.session.commit()
    assert _province_counts(db) == {("XV01", "XV0101"): 3, ("XV01", "XV0102"): 1}

    district = db.session.scalar(sa.select(Region).where(Region.pcode == "XV0101"))
    save_region("XV0101", parent_pcode="XV02", level="2", kind="land", names=dict(district.names), actor=None,
                region=district)
    db.session.commit()
    db.session.expire_all()
    assert _province_counts(db) == {("XV02", "XV0101"): 3, ("XV01", "XV0102"): 1}
    xv02 = db.session.scalar(sa.select(Region.id).where(Region.pcode == "XV02"))
    assert [p.province_id for p in db.session.scalars(sa.select(PulseRollup))] == [xv02]
    live = _snapshot(db)
    assert runner.invoke(args=["rollup"]).exit_code == 0
    db.session.expire_all()
    assert _snapshot(db) == live

    # A report filed after the move, then the district moved back by a CSV
    # import, in one transaction.
    add_report(region="XV0101", occurred_on=date(2026, 3, 7))
    import_regions(b"pcode,parent_pcode,level,kind,name_en\nXV0101,XV01,2,land,Alto Pinar\n", actor=None)
    db.session.commit()
    db.session.expire_all()
    assert _province_counts(db) == {("XV01", "XV0101"): 4, ("XV01", "XV0102"): 1}
    live = _snapshot(db)
    assert runner.invoke(args=["rollup"]).exit_code == 0
    db.session.expire_all()
    assert _snapshot(db) == live


@pytest.mark.postgres
def test_a_region_moved_while_a_report_is_being_counted_keeps_it(app, db):
    """PostgreSQL, where two transactions run at once: a report whose
    upkeep has written but not committed when an admin moves its district
    is counted under the new province once both are done (the move's
    recount waits for it, rather than read the reports without it and
    delete its count)."""

    from tracker.metrics.rollups import refresh
    from tracker.reference.models import Region

    add_report(region="XV0101", occurred_on=date(2026, 3, 2))
    db.session.commit()
    add_report(region="XV0101", occurred_on=date(2026, 3, 3))
    db.session.flush()
    refresh(db.session())  # what the commit does first: the upkeep writes its rows

    def move(other):
        district = other.scalar(sa.select(Region).where(Region.pcode == "XV0101"))
        district.parent = other.scalar(sa.select(Region).where(Region.pcode == "XV02"))

    # The move commits meanwhile: it waits, or (the flaw) reads the reports without the new one.
    _commit_meanwhile(app, db, move)
    db.session.expire_all()
    assert _province_counts(db) == {("XV02", "XV0101"): 2}


def _trust_answers(db):
    """{district P-code: respondents counted in the trust index} from the pulse rows."""
    from tracker.reference.models import Region

    code = dict(db.session.execute(sa.select(Region.id, Region.pcode)).all())
    out = Counter()
    for row in db.session.scalars(sa.select(PulseRollup)):
        out[code.get(row.region_id)] += row.n_trust
    return dict(out)


@pytest.mark.postgres
def test_a_report_filed_while_the_rollups_are_rebuilt_is_counted(app, db, monkeypatch):
    """PostgreSQL: ``flask rollup`` beside live intake. A report and a pulse
    answer committed after the rebuild has read the raw rows, but before it
    writes its own, are counted once both are done; intake is not held
    back while the rebuild reads (the report commits during that read)."""
    from tracker.metrics.models import RollupDirty

    # The module (its package exports the function under the same name).
    rebuild_module = importlib.import_module("tracker.metrics.rollups.rebuild")

    add_report(region="XV0101", occurred_on=date(2026, 3, 2))
    add_report(region="XV0101", occurred_on=date(2026, 3, 3))
    add_pulse(region="XV0101", respect=4, voice=4, fairness=4, safe_to_report=4)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RollupDirty)) == 0  # no rebuild, nothing noted

    filed = []

    def file_meanwhile():
        with app.app_context():
            add_report(region="XV0101", occurred_on=date(2026, 3, 4))
            add_pulse(region="XV0101", respect=2, voice=2, fairness=2, safe_to_report=2)
            db.session.commit()
            filed.append(True)

    real = rebuild_module.pulse_aggregate

    def read_then_file(*args, **kwargs):
        rows = real(*args, **kwargs)  # the rebuild has read every report and answer
        worker = threading.Thread(target=file_meanwhile)
        worker.start()
        worker.join(timeout=30)
        assert filed == [True], "intake was held back while the rebuild read"
        return rows

    monkeypatch.setattr(rebuild_module, "pulse_aggregate", read_then_file)
    stats = rebuild_module.rebuild()
    db.session.commit()
    # Recounted: the report's month and week slices, and the answer's month.
    assert stats["noted_slices"] == 3
    db.session.expire_all()
    assert _province_counts(db) == {("XV01", "XV0101"): 3}
    assert _trust_answers(db) == {"XV0101": 2}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RollupDirty)) == 0


@pytest.mark.postgres
def test_a_rebuild_waits_for_a_report_being_counted(app, db):
    """PostgreSQL: a report whose upkeep has written but not committed when
    ``flask rollup`` starts is counted once both are done (the rebuild
    waits for it before it reads, rather than read without it and then
    write over its count)."""

    from tracker.metrics.rollups import rebuild, refresh

    add_report(region="XV0101", occurred_on=date(2026, 3, 2))
    db.session.commit()
    add_report(region="XV0101", occurred_on=date(2026, 3, 3))
    db.session.flush()
    refresh(db.session())  # what the commit does first: the upkeep writes its rows
    # The rebuild runs meanwhile: it waits, or (the flaw) reads the reports without the new one.
    _commit_meanwhile(app, db, rebuild)
    db.session.expire_all()
    assert _province_counts(db) == {("XV01", "XV0101"): 2}


def test_a_rebuild_repairs_rows_that_are_wrong_missing_or_extra(app, db):
    """``flask rollup`` corrects whatever the rollups hold: a count changed,
    a row deleted, a row that should not be there (on PostgreSQL it changes
    only the rows that differ, so the three kinds are each checked)."""
    from tracker.metrics.rollups import rebuild

    rng = random.Random(8)
    _random_data(rng, n=60)
    db.session.commit()
    right = _snapshot(db)
    assert right[0] and right[1] and right[2]
    db.session.execute(sa.update(ReportRollup).where(ReportRollup.id == db.session.scalar(
        sa.select(sa.func.min(ReportRollup.id)))).values(reports=ReportRollup.reports + 5, killed=99))
    db.session.execute(sa.delete(DurationRollup).where(DurationRollup.id == db.session.scalar(
        sa.select(sa.func.max(DurationRollup.id)))))
    db.session.execute(sa.update(PulseRollup).values(sum_trust=PulseRollup.sum_trust + 1))
    db.session.execute(sa.insert(ReportRollup).values(
        grain="month", period_start=date(2020, 1, 1), province_id=0, region_id=0, force_id=0, unit_id=0,
        category="*", severity="low", reports=7))
    db.session.commit()
    assert _snapshot(db) != right
    rebuild()
    db.session.commit()
    assert _snapshot(db) == right


def test_refresh_on_the_default_session_counts_a_new_report(app, db):
    """``refresh()`` with no session (or with ``db.session``, the scoped
    proxy, as bench/rollup_upkeep.py passes it) works on the request's
    session; it used to fail on the proxy."""
    from tracker.metrics.rollups import refresh

    add_report(region="XV0101", occurred_on=date(2026, 3, 2))
    db.session.flush()
    assert refresh() > 0
    add_report(region="XV0101", occurred_on=date(2026, 3, 3))
    db.session.flush()
    assert refresh(db.session) > 0
    assert _province_counts(db) == {("XV01", "XV0101"): 2}
