"""``flask --app tracker sweep``: escalate cases overdue for triage, notify
supervisors, purge day-old idempotency keys. Safe to run twice (cron)."""
import click
from flask.cli import with_appcontext


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Escalate overdue cases, send pending notifications, purge old keys."""
    from tracker.cases.escalation import sweep

    result = sweep()
    click.echo(
        "escalated: {escalated}, supervisors notified: {notified}, idempotency keys purged: {purged}".format(**result)
    )
