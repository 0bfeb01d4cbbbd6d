"""``flask rollup`` beside live intake (PostgreSQL): how long the rebuild
takes, how long it holds intake back, and whether a report filed while it
runs is lost.

    .venv/bin/python bench/generate.py --reports 100000 --no-rollup --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/rollup_rebuild.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

``--writers`` threads, each with its own session, file reports (the real
intake path, tracker.intake.services.submit_report, one commit each) from a
second before the rebuild starts until a second after it commits. Printed:
the rebuild's time; the commit time of those reports before and during the
rebuild (median and max: the max during it is how long intake was held
back); and whether the rollups then equal a second rebuild made with intake
stopped (anything lost or counted twice would show as rows that differ).
The reports it files stay in the database. The receipt hash runs with
cheap parameters (RECEIPT_SCRYPT_N=16), so that commit times show the
database, not scrypt.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from datetime import date, timedelta

import click

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

RERUN = ".venv/bin/python bench/rollup_rebuild.py --database-url {url}"


def _ms(xs: list[float]) -> str:
    if not xs:
        return "none"
    return f"{len(xs)} reports, median {statistics.median(xs) * 1000:.0f} ms, max {max(xs) * 1000:.0f} ms"


@click.command()
@click.option("--database-url", envvar="DATABASE_URL", required=True,
              help="a PostgreSQL database filled by bench/generate.py")
@click.option("--writers", default=2, show_default=True, help="threads filing reports meanwhile")
def main(database_url: str, writers: int) -> None:
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.extensions import db
    from tracker.intake.models import Report
    from tracker.intake.schema import ReportData
    from tracker.intake.services import submit_report
    from tracker.metrics.models import DurationRollup, PulseRollup, ReportRollup
    from tracker.metrics.rollups import rebuild
    from tracker.reference.models import Force, Region

    app = create_app("development", SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=False,
                     RECEIPT_SCRYPT_N=16)
    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            raise SystemExit("PostgreSQL only: on SQLite one writer at a time, nothing runs beside the rebuild")
        total = db.session.scalar(sa.select(sa.func.count(Report.id)))
        districts = db.session.scalars(sa.select(Region.id).where(Region.level == 2)).all()
        forces = db.session.scalars(sa.select(Force.id)).all()
        db.session.rollback()
    print(f"reports in the database: {total:,}; writers: {writers}", flush=True)

    state = {"phase": "before"}
    latencies: dict[str, list[float]] = {"before": [], "during": [], "after": []}
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[str] = []

    def write(k: int) -> None:
        n = 0
        with app.app_context(), app.test_request_context("/"):
            while not stop.is_set():
                n += 1
                data = ReportData(
                    categories=["assault"], occurred_on=date.today() - timedelta(days=(k * 7 + n) % 300),
                    occurred_precision="day", region_id=districts[(k + n) % len(districts)],
                    force_id=forces[n % len(forces)], injured=1, narrative="bench",
                )
                t0 = time.perf_counter()
                try:
                    submit_report(data)
                    db.session.commit()
                except Exception as exc:  # noqa: BLE001 - reported, not hidden
                    db.session.rollback()
                    errors.append(type(exc).__name__)
                    continue
                with lock:
                    latencies[state["phase"]].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    with app.app_context():
        with lock:
            state["phase"] = "during"
        t0 = time.perf_counter()
        counts = rebuild()
        db.session.commit()
        took = time.perf_counter() - t0
        with lock:
            state["phase"] = "after"
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()

    def snapshot() -> list:
        out = []
        for model in (ReportRollup, DurationRollup, PulseRollup):
            cols = [c for c in model.__table__.c if c.name != "id"]
            out.append(sorted(tuple(r) for r in db.session.execute(sa.select(*cols))))
        return out

    with app.app_context():
        live = snapshot()
        rebuild()
        db.session.commit()
        again = snapshot()
    differ = sum(len(set(a) ^ set(b)) for a, b in zip(live, again, strict=True))
    print(f"rebuild: {took:.1f} s ({counts['reports']:,} reports counted, {counts['report_rows']:,} report rows); "
          f"upkeeps held back {counts['held_seconds']:.2f} s; {counts['noted_slices']:,} slices changed meanwhile "
          "and recounted")
    print(f"intake before it:  {_ms(latencies['before'])}")
    print(f"intake during it:  {_ms(latencies['during'])}")
    print(f"intake after it:   {_ms(latencies['after'])}")
    print(f"errors: {len(errors)} {sorted(set(errors))}")
    print("rollups after: " + ("equal to a rebuild with intake stopped (nothing lost or counted twice)" if not differ
                               else f"DIFFER from a rebuild with intake stopped in {differ} rows"))
    print("rerun: " + RERUN.format(url=database_url))
    if differ or errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
