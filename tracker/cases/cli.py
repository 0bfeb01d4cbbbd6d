"""``flask --app tracker sweep``: escalate cases overdue for triage, notify
supervisors, purge day-old idempotency keys. Safe to run twice (cron)."""
import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.core.signals import sweep_ran


@click.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Escalate overdue cases, send pending notifications, purge old keys."""
    from tracker.cases.escalation import sweep

    result = sweep()
    click.echo(
        "escalated: {escalated}, supervisors notified: {notified}, idempotency keys purged: {purged}".format(**result)
    )
    for _receiver, lines in sweep_ran.send(current_app._get_current_object()):
        for line in lines or ():
            click.echo(line)
