"""``flask --app tracker demo``: the fictional country, demo logins, synthetic
reports and a few real reports whose receipts work at /followup.

Demo logins get fresh random passwords on every run (tracker.accounts.demo);
they are printed once. Demo data is for trying the application on one's own
machine, never for a server others can reach.
"""
from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

# A few real reports, filed through the intake service (validation, receipt,
# case, audit): their receipts open /followup.
REAL_REPORTS = [
    {
        "categories": ["arbitrary_detention", "assault"], "occurred_on_precision": "day", "region": "XV0301",
        "force": "POLICE", "unit": "BORD", "part_of_day": "night",
        "narrative": "Demo report. Border police took my cousin from the bus at the checkpoint and beat him.",
        "harm": {"injured": 1, "detained": 1}, "relationship": "family", "needs": ["legal"],
        "consent": {"contact": False, "statistics": True, "referral": True},
        "pulse": {"respect": 2, "voice": 1, "fairness": 2, "safe_to_report": 2, "safety": 2},
        "language": "en", "days_ago": 3,
    },
    {
        "categories": ["illegal_search", "property_destruction"], "occurred_on_precision": "day",
        "region": "XV0201", "force": "ARMY", "unit": "BDE4", "operation": "OP-CLEAN-RIVER",
        "narrative": "Informe de demostración. Los soldados registraron la casa y rompieron la puerta.",
        "harm": {"property_damaged": True}, "victims": {"children": True}, "relationship": "victim",
        "consent": {"contact": False, "statistics": True, "referral": False}, "language": "es", "days_ago": 10,
    },
    {
        "categories": ["threats"], "occurred_on_precision": "month", "region": "XV0402", "force": "NAVY",
        "unit": "CG2", "relationship": "witness",
        "narrative": "تقرير تجريبي. هددنا خفر السواحل في البحر وأخذوا الصيد.",
        "consent": {"contact": False, "statistics": True, "referral": False}, "language": "ar", "days_ago": 40,
    },
]


def create_demo_users() -> list[dict]:
    """One demo login per role, from the accounts service
    (tracker.accounts.demo: fresh random passwords and TOTP secrets on every
    run). The caller commits."""
    from tracker.accounts.demo import create_demo_users as create

    return create()


def create_real_reports() -> list[tuple[str, str]]:
    """File REAL_REPORTS through the intake service; return (summary, receipt)."""
    from datetime import timedelta

    from tracker.core.db import utcnow
    from tracker.intake.receipts import format_receipt
    from tracker.intake.schema import validate_report
    from tracker.intake.services import submit_report

    out = []
    today = utcnow().date()
    for spec in REAL_REPORTS:
        raw = {k: v for k, v in spec.items() if k != "days_ago"}
        day = today - timedelta(days=spec["days_ago"])
        raw["occurred_on"] = day.strftime("%Y-%m") if spec["occurred_on_precision"] == "month" else day.isoformat()
        data, errors = validate_report(raw, strict_types=True)
        if errors:  # pragma: no cover - the specs above are valid
            raise click.ClickException(f"demo report rejected: {errors}")
        result = submit_report(data)
        summary = f"{', '.join(raw['categories'])} in {raw['region']} ({raw['language']})"
        out.append((summary, format_receipt(result.receipt)))
    return out


def _print_logins(logins: list[dict]) -> None:
    click.echo("")
    click.echo("Demo logins (demo only; sign in at /login):")
    for login in logins:
        click.echo(f"  {login['role']:<10} {login['email']:<30} password: {login['password']}")
        if login["totp_secret"]:
            click.echo(f"  {'':<10} TOTP secret: {login['totp_secret']}")
            click.echo(f"  {'':<10} TOTP URI:    {login['otpauth_uri']}")


def _rebuild_rollups() -> None:
    """Bulk rows bypass the live rollup upkeep: recompute the trend tables."""
    from tracker.metrics.rollups import rebuild

    rebuild()


def _publish_releases() -> None:
    """Publish the statistics release of every closed month, as the nightly
    ``flask --app tracker release`` would, so that the demo commander sees
    figures and alerts at once."""
    from tracker.metrics.release import publish_due

    published = publish_due(progress=lambda m: click.echo(f"  statistics for {m:%Y-%m} published"))
    click.echo(f"{len(published)} monthly statistics release(s) published.")


@click.command("demo")
@click.option("--reports", default=3000, show_default=True, help="How many synthetic reports to add.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed and day, same data).")
@click.option("--pulses", default=None, type=int, help="Standalone trust-pulse answers to add [default: as many as reports].")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already holds reports.")
@with_appcontext
def demo_command(reports: int, seed: int, pulses: int | None, if_empty: bool) -> None:
    """Load the fictional demo country, demo logins and synthetic reports.

    Synthetic reports have no receipt; their cases get a believable audit
    history (tracker.demo.history), and one "demo.loaded" event records the
    load. Three real reports are filed through the intake service and their
    demo receipts are printed.
    """
    from tracker.audit.service import record
    from tracker.cases.models import Case
    from tracker.demo.history import write_case_history
    from tracker.demo.reference import load_reference_data
    from tracker.demo.synthetic import generate
    from tracker.extensions import db
    from tracker.intake.models import Report

    if reports < 0 or (pulses is not None and pulses < 0):
        raise click.BadParameter("counts cannot be negative")
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(Report)):
        click.echo("The database already holds reports: demo data not loaded again.")
        click.echo("(To get fresh demo logins: flask --app tracker demo --reports 0)")
        return

    load_reference_data()
    db.session.commit()
    click.echo("Reference data loaded (the fictional Republic of Valdoria).")

    logins = create_demo_users()
    db.session.commit()

    started = time.perf_counter()
    first_case = (db.session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
    with click.progressbar(length=reports, label="Synthetic reports", show_pos=True) as bar:
        result = generate(reports, seed, standalone_pulses=pulses, progress=bar.update)
    db.session.commit()
    events = write_case_history(first_case, seed)
    db.session.commit()
    if events:
        click.echo(f"Wrote {events} audit events: the synthetic cases' history, in time order.")
    click.echo(
        f"Added {result.reports} synthetic reports, {result.pulses} trust-pulse answers and "
        f"{result.messages} messages in {time.perf_counter() - started:.1f} s."
    )

    receipts = create_real_reports()
    record("demo.loaded", actor_role="system",
           data={"reports": result.reports, "pulses": result.pulses, "seed": seed, "real_reports": len(receipts)})
    db.session.commit()
    _rebuild_rollups()
    db.session.commit()
    _publish_releases()
    db.session.commit()

    _print_logins(logins)
    click.echo("")
    click.echo("Demo receipts (DEMO ONLY: these reports are fictional; open /followup and enter one):")
    for summary, receipt in receipts:
        click.echo(f"  {receipt}   {summary}")
