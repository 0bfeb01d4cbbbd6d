"""Utility and speed of the protected release (issue 7 item 9).

    .venv/bin/python bench/release_utility.py                       # demo data, 3,000 reports, seed 1
    .venv/bin/python bench/release_utility.py --reports 1000000 \\
        --database-url sqlite:////tmp/bench.db --reuse              # a big bench/generate.py database

For each force and for every force together ("all", what supervisors see;
the public table is its month x province part) it prints the share of the
scope's reports that fall in **published** cells of the default region
table and unit table (the last 12 published months):

* before: the suppression the pages used until now (each table protected on
  its own, tracker.metrics.anonymise.suppress_series / suppress_table, over
  the rollup counts of the same months);
* after: the release (each month's cells as published; a range total counts
  only its published months).

Then it times /trends (a commander of ARMY) and /transparency with the
Flask test client (server time; median of --requests after a warm-up).
Deterministic for a given --seed and --today.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date

import click

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

PASSWORD = "bench password for the commander 1"


def _before(scope_force: int | None, months: list[date], k: int) -> tuple[float, float, int]:
    """Share of reports in published cells of the old region and unit
    tables (per-table suppression of range totals, as the old /trends did)."""
    from tracker.metrics.anonymise import suppress_series, suppress_table
    from tracker.metrics.queries import Filters, Scope, report_sums

    scope = Scope("commander", None if scope_force is None else (scope_force,), None)
    f = Filters("month", months[0], months[-1])
    by_region = report_sums(scope, f, ("province_id",))
    by_unit = report_sums(scope, f, ("unit_id",))
    total = sum(v["reports"] for v in by_region.values())
    if not total:
        return 0.0, 0.0, 0
    keys = sorted(by_region)
    s = suppress_series(keys, [by_region[r]["reports"] for r in keys], k)
    region = sum(c.value for c in s.cells if c.value is not None) / total
    unit = 0.0
    if scope_force is not None:
        ukeys = sorted(by_unit)
        s = suppress_series(ukeys, [by_unit[u]["reports"] for u in ukeys], k)
        unit = sum(c.value for c in s.cells if c.value is not None) / total
    else:
        # The old public page: month x province, protected as one table.
        rows = report_sums(scope, f, ("period_start", "province_id"))
        provs = sorted({p for (_m, p) in rows})
        values = [[rows.get((m, p), {}).get("reports", 0) for p in provs] for m in months]
        t = suppress_table(months, provs, values, k)
        unit = sum(c.value for row in t.cells for c in row if c.value is not None) / total
    return region, unit, total


def _truth(months: list[date]) -> dict[str, int]:
    """Reports per scope in the release months (as the builder counts them;
    the bench may read them, the pages never do)."""
    from tracker.metrics.release import _collect, _reference
    from tracker.metrics.rollups import RegionMap

    ref, regions, out = _reference(), RegionMap(), {}
    for m in months:
        data = _collect(m, regions, ref["pcode"])
        for (scope, table, grain, _p, _key), v in data.counts.items():
            if table == "total" and grain == "month":
                out[scope] = out.get(scope, 0) + v
    return out


def _after(scope: str, months: list[date], k: int, total: int) -> tuple[float, float]:
    """Share of the scope's reports in published month cells of the release
    (region: provinces; unit: units, or for "all" the public month x province)."""
    from tracker.metrics.published import Reader

    reader = Reader([scope], months, k, ("month",))

    def share(table: str) -> float:
        return sum(v for (sc, t, g, _p, _k), (v, st, _d) in reader.cells.items()
                   if sc == scope and t == table and g == "month" and st == "published") / max(total, 1)

    return share("province"), share("unit") if scope != "all" else share("province")


def _time(client, url: str, n: int) -> float:
    client.get(url)  # warm-up
    times = []
    for _ in range(n):
        t = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    return statistics.median(times)


@click.command()
@click.option("--reports", default=3000, show_default=True, help="Synthetic reports (the demo's default).")
@click.option("--seed", default=1, show_default=True)
@click.option("--today", default="2026-12-01", show_default=True, help="The day the data ends and releases are built.")
@click.option("--database-url", default=None, help="Reuse or fill this database [default: a temporary SQLite file].")
@click.option("--reuse", is_flag=True, help="The database already holds reports (bench/generate.py): only publish.")
@click.option("--requests", "n", default=20, show_default=True)
def main(reports: int, seed: int, today: str, database_url: str | None, reuse: bool, n: int) -> None:
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.extensions import db

    day = date.fromisoformat(today)
    url = database_url or f"sqlite:///{tempfile.mkdtemp()}/release-bench.db"
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False)
    with app.app_context():
        from tracker.demo.reference import load_reference_data
        from tracker.metrics import rollups
        from tracker.metrics.anonymise import k_threshold
        from tracker.metrics.models import Release
        from tracker.metrics.release import publish_due
        from tracker.reference.models import Force

        db.create_all()
        if not reuse:
            from tracker.demo.synthetic import generate

            load_reference_data()
            db.session.commit()
            t = time.perf_counter()
            with rollups.paused():
                generate(reports, seed, today=day)
                db.session.commit()
            rollups.rebuild()
            db.session.commit()
            click.echo(f"{reports:,} synthetic reports (seed {seed}, ending {day}) in {time.perf_counter() - t:.0f} s",
                       err=True)
        t, cpu = time.perf_counter(), time.process_time()
        published = publish_due(day)
        db.session.commit()
        click.echo(f"release: {len(published)} month(s) built in {time.perf_counter() - t:.1f} s "
                   f"({time.process_time() - cpu:.1f} s CPU)", err=True)
        months = list(db.session.scalars(sa.select(Release.month).order_by(Release.month)))[-12:]
        k = k_threshold()
        forces = db.session.execute(sa.select(Force.id, Force.code).order_by(Force.code)).all()
        click.echo("")
        click.echo(f"Share of a scope's reports in published cells, last {len(months)} published months "
                   f"({months[0]:%Y-%m} to {months[-1]:%Y-%m}), K = {k}:")
        click.echo("")
        click.echo("| scope | reports | region table before | after | unit table before | after |")
        click.echo("|---|---:|---:|---:|---:|---:|")
        truth = _truth(months)
        for fid, code in [(None, "all (unit columns: public month x province)")] + list(forces):
            scope = "all" if fid is None else f"force:{fid}"
            rb, ub, _old_total = _before(fid, months, k)
            total = truth.get(scope, 0)
            if not total:
                continue
            ra, ua = _after(scope, months, k, total)
            click.echo(f"| {code} | {total:,} | {rb:.1%} | {ra:.1%} | {ub:.1%} | {ua:.1%} |")

        from tracker.accounts.models import User
        from tracker.accounts.services import create_user

        email = "bench-release@example.org"
        if db.session.scalar(sa.select(User).where(User.email == email)) is None:
            create_user(email, "commander", PASSWORD, force="ARMY")
            db.session.commit()
        db.session.remove()

    import re

    commander = app.test_client()
    html = commander.get("/login").get_data(as_text=True)
    token = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
             or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)).group(1)
    resp = commander.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert resp.status_code == 302 and "/login" not in resp.headers.get("Location", ""), "login failed"
    anonymous = app.test_client()
    click.echo("")
    click.echo(f"Server time, median of {n} requests (Flask test client); load average {os.getloadavg()[0]:.1f}:")
    for path, client in (("/trends", commander), ("/trends?grain=week", commander),
                         ("/trends?province=XV03", commander), ("/transparency", anonymous),
                         ("/transparency/hxl", anonymous)):
        with app.app_context():
            click.echo(f"  {path:<28} {_time(client, path, n):7.1f} ms")


if __name__ == "__main__":
    main()
