"""``flask --app tracker rollup``: rebuild every rollup from the raw rows."""
import time

import click
from flask.cli import with_appcontext


@click.command("rollup")
@with_appcontext
def rollup_command() -> None:
    """Recompute the trend rollups from every report and survey answer
    (idempotent; safe to run from cron)."""
    from tracker.extensions import db
    from tracker.metrics.rollups import rebuild

    started = time.perf_counter()
    stats = rebuild(progress=lambda n: click.echo(f"  {n:,} reports…"))
    db.session.commit()
    click.echo(
        f"Rollups rebuilt from {stats['reports']:,} reports in {time.perf_counter() - started:.1f} s: "
        f"{stats['report_rows']:,} count rows, {stats['duration_rows']:,} duration rows, "
        f"{stats['pulse_rows']:,} survey rows."
        + (f" Intake was held back {stats['held_seconds']:.1f} s; {stats['noted_slices']:,} slices it changed "
           "meanwhile were recounted." if "held_seconds" in stats else "")
    )


@click.command("release")
@click.option("--today", default=None, help="Treat this day (YYYY-MM-DD) as today (tests, back-filling).")
@with_appcontext
def release_command(today: str | None) -> None:
    """Publish the protected statistics release of every closed month that
    has none yet (frozen once written; safe to run from cron daily)."""
    from datetime import date

    from tracker.extensions import db
    from tracker.metrics.release import publish_due

    started = time.perf_counter()
    day = date.fromisoformat(today) if today else None
    done = publish_due(day, progress=lambda m: click.echo(f"  {m:%Y-%m} published"))
    db.session.commit()
    click.echo(f"{len(done)} release(s) published in {time.perf_counter() - started:.1f} s.")
