"""Benchmark the live rollup upkeep on a big database (nothing is kept).

    .venv/bin/python bench/rollup_upkeep.py --database-url sqlite:////tmp/tracker-bench-trends.db
    .venv/bin/python bench/rollup_upkeep.py --database-url sqlite:////tmp/tracker-bench-trends.db --explain

For each run, inside a transaction that is rolled back at the end:

1. submits a report through tracker.intake.services.submit_report (real
   intake path: report, case, audit event), then
2. moves an existing case (a statistics report's case) through
   tracker.cases.workflow.perform (investigate, then resolve),

and times the flush plus the upkeep that would run at commit
(``rollups.refresh``, what ``before_commit`` calls), with upkeep on and with
TRACKER_ROLLUP_LIVE=False (then the upkeep step is skipped, as at commit).
The fsync of a real commit is not included (it is the same either way).
``--explain`` prints EXPLAIN QUERY PLAN (SQLite) for the slice queries.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date

import click

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))


def _ms(xs):
    return f"median {statistics.median(xs) * 1000:8.1f} ms   max {max(xs) * 1000:8.1f} ms"


@click.command()
@click.option("--database-url", envvar="DATABASE_URL", required=True)
@click.option("--runs", default=5, show_default=True)
@click.option("--explain", is_flag=True)
def main(database_url: str, runs: int, explain: bool) -> None:
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.accounts.models import User
    from tracker.cases import workflow
    from tracker.cases.models import Case
    from tracker.extensions import db
    from tracker.intake.models import Report
    from tracker.intake.schema import ReportData
    from tracker.intake.services import submit_report
    from tracker.metrics import rollups

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=False)
    results: dict[tuple[str, bool], list[float]] = {}
    with app.app_context(), app.test_request_context("/"):
        s = db.session
        print("reports:", s.scalar(sa.select(sa.func.count(Report.id))))
        # A busy slice: the (region, force, unit) with the most reports.
        busy = s.execute(
            sa.select(Report.region_id, Report.force_id, Report.unit_id, sa.func.max(Report.occurred_on))
            .where(Report.consent_statistics.is_(True), Report.unit_id.is_not(None))
            .group_by(Report.region_id, Report.force_id, Report.unit_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        region_id, force_id, unit_id, day = busy
        print(f"busy slice: region {region_id} force {force_id} unit {unit_id}, day {day}")
        s.rollback()

        def one_run(live: bool) -> None:
            app.config["TRACKER_ROLLUP_LIVE"] = live
            try:
                t0 = time.perf_counter()
                data = ReportData(
                    categories=["assault", "detention"], occurred_on=day, occurred_precision="day",
                    region_id=region_id, force_id=force_id, unit_id=unit_id, injured=1, narrative="bench",
                )
                submit_report(data)
                s.flush()
                if live:
                    rollups.refresh(s)
                else:
                    s.info.pop(rollups.DIRTY, None)
                results.setdefault(("submit_report", live), []).append(time.perf_counter() - t0)

                case = s.scalars(
                    sa.select(Case).join(Report, Report.case_id == Case.id)
                    .where(Case.state == "triaged", Report.consent_statistics.is_(True),
                           Report.region_id == region_id, Report.force_id == force_id)
                    .order_by(Case.id).limit(1)
                ).first()
                officer = User(email="bench-officer@example.org", password_hash="x", role="officer",
                               body_id=case.body_id)
                s.add(officer)
                s.flush()
                s.info.pop(rollups.DIRTY, None)  # not timed: the setup above
                for action, kw in (("investigate", {}), ("resolve", {"outcome": "substantiated"})):
                    t0 = time.perf_counter()
                    workflow.perform(case, action, officer, **kw)
                    s.flush()
                    if live:
                        rollups.refresh(s)
                    else:
                        s.info.pop(rollups.DIRTY, None)
                    results.setdefault((f"perform {action}", live), []).append(time.perf_counter() - t0)
            finally:
                s.rollback()
                app.config["TRACKER_ROLLUP_LIVE"] = True

        one_run(True)  # warm-up (page cache)
        results.clear()
        for _ in range(runs):
            one_run(True)
            one_run(False)

        print(f"\n{'step':24} {'upkeep on':>36}   {'TRACKER_ROLLUP_LIVE=False':>36}")
        for name in ("submit_report", "perform investigate", "perform resolve"):
            print(f"{name:24} {_ms(results[(name, True)]):>36}   {_ms(results[(name, False)]):>36}")

        if explain and s.get_bind().dialect.name == "sqlite":
            from tracker.metrics.models import ReportRollup

            rid, cid = s.execute(sa.select(Report.id, Report.case_id).order_by(Report.id.desc()).limit(1)).one()
            start = date.fromisoformat(str(day)).replace(day=1)
            t = ReportRollup.__table__
            queries = [
                ("upkeep: a new report, read back with categories and case",
                 rollups.report_query().where(Report.id.in_([rid]))),
                ("upkeep: the reports of a moved case",
                 rollups.report_query().where(Report.case_id.in_([cid]))),
                ("upkeep: in-place add to one rollup row",
                 sa.update(t).where(t.c.grain == "month", t.c.period_start == start, t.c.region_id == region_id,
                                    t.c.force_id == force_id, t.c.unit_id == unit_id, t.c.category == "*",
                                    t.c.severity == "high").values(reports=t.c.reports + 1)),
                ("fallback (report edited): recompute one month slice",
                 rollups.report_query().where(Report.region_id.in_([region_id]), Report.occurred_on >= start,
                                               Report.force_id == force_id, Report.unit_id == unit_id)),
            ]
            for label, q in queries:
                print(f"\n-- {label}")
                sql = str(q.compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True}))
                for row in s.execute(sa.text("EXPLAIN QUERY PLAN " + sql)):
                    print("  ", row[-1])
            s.rollback()
    print(f"\nrerun: .venv/bin/python bench/rollup_upkeep.py --database-url {database_url} --runs {runs}"
          + (" --explain" if explain else ""))


if __name__ == "__main__":
    main()
