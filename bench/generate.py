"""Build a database of N synthetic reports for benchmarks.

    .venv/bin/python bench/generate.py --reports 1000000 --database-url sqlite:////tmp/bench.db

Creates the tables if the database has none (``db.create_all()``: a bench
database needs no migration history), loads the demo reference data and adds
N synthetic reports (one case each, categories, pulse answers, messages)
with ``tracker.demo.synthetic.generate``, then rebuilds the trend rollups
(``--no-rollup`` to skip). Prints the time taken and the rate.
Deterministic for a given ``--seed`` and ``--today``. Uses the development
configuration (its secrets in instance/) unless ``--config`` says otherwise.
"""
from __future__ import annotations

import os
import resource
import sys
import time

import click

HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
    sys.path.pop(0)  # import the project from its root, not from bench/
sys.path.insert(0, os.path.dirname(HERE))


@click.command()
@click.option("--reports", default=100_000, show_default=True, help="Synthetic reports to add.")
@click.option("--database-url", envvar="DATABASE_URL", required=True, help="SQLAlchemy URL of the database to fill.")
@click.option("--seed", default=1, show_default=True)
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the 12 months end at [default: today, UTC]; fixes the data across days.")
@click.option("--pulses", default=None, type=int, help="Standalone pulse answers [default: as many as reports].")
@click.option("--batch-size", default=5000, show_default=True)
@click.option("--rollup/--no-rollup", default=True, show_default=True,
              help="Rebuild the trend rollup tables afterwards (the trend pages read them).")
@click.option("--config", "config_name", default="development", show_default=True,
              type=click.Choice(["development", "production", "testing"]))
def main(reports: int, database_url: str, seed: int, today, pulses: int | None, batch_size: int, rollup: bool,
         config_name: str) -> None:
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.demo.reference import load_reference_data
    from tracker.demo.synthetic import generate
    from tracker.extensions import db
    from tracker.intake.models import Report

    app = create_app(config_name, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        if not sa.inspect(db.engine).has_table("report"):
            db.create_all()
            click.echo("Created the tables.")
        load_reference_data()
        db.session.commit()
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Report))
        started, cpu_started = time.perf_counter(), time.process_time()
        with click.progressbar(length=reports, label="Synthetic reports", show_pos=True, file=sys.stderr) as bar:
            result = generate(reports, seed, today=today.date() if today else None, standalone_pulses=pulses,
                              batch_size=batch_size, progress=bar.update)
        db.session.commit()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        producer_cpu = children.ru_utime + children.ru_stime
        after = db.session.scalar(sa.select(sa.func.count()).select_from(Report))
        rollup_time = None
        if rollup:
            from tracker.metrics.rollups import rebuild

            rollup_started = time.perf_counter()
            rebuild()
            db.session.commit()
            rollup_time = time.perf_counter() - rollup_started
    rows = result.reports * 2 + sum(result.categories.values()) + result.pulses + result.messages
    click.echo(f"database:      {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    click.echo(f"reports:       {result.reports:,} added ({before:,} before, {after:,} now)")
    click.echo(f"other rows:    {result.reports:,} cases, {sum(result.categories.values()):,} categories, "
               f"{result.pulses:,} pulse answers, {result.messages:,} messages")
    click.echo(f"time:          {elapsed:.1f} s wall; CPU {cpu:.1f} s writing + {producer_cpu:.1f} s producing rows")
    click.echo(f"rate:          {result.reports / elapsed:,.0f} reports/s ({rows / elapsed:,.0f} rows/s)")
    if rollup_time is not None:
        click.echo(f"rollups:       rebuilt in {rollup_time:.1f} s")


if __name__ == "__main__":
    main()
