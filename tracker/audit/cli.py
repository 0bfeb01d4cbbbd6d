import click
from flask.cli import AppGroup

from tracker.audit.service import verify

audit_cli = AppGroup("audit", help="Audit log tools.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check the whole hash chain; exit 1 at the first broken link."""
    result = verify()
    if result.ok:
        click.echo(f"Audit chain intact: {result.checked} events verified.")
        return
    click.echo(
        f"Audit chain BROKEN at event {result.broken_at}: {result.reason} "
        f"({result.checked} events verified before it).",
        err=True,
    )
    raise SystemExit(1)
