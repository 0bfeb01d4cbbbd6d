"""``flask --app tracker backup|restore|keys``: operations commands."""
import click
from flask.cli import AppGroup, with_appcontext

from tracker.core.crypto import DecryptionError, key_count
from tracker.extensions import db
from tracker.operations import backup as backups
from tracker.operations import keys


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str) -> None:
    """Write a consistent copy of the database to PATH (pg_dump custom
    format on PostgreSQL, the backup API on SQLite). Encrypted fields stay
    encrypted: keep TRACKER_FIELD_KEYS and TRACKER_RECEIPT_PEPPER too."""
    try:
        backups.backup(db.engine, path)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace the whole database by the backup at PATH. Stop the app
    servers first; run `audit verify` afterwards."""
    if not yes:
        click.confirm("This replaces everything in the database. Go on?", abort=True)
    db.session.remove()
    try:
        backups.restore(db.engine, path)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored from {path}. Now run: flask --app tracker audit verify")


keys_cli = AppGroup("keys", help="Field-encryption keys (TRACKER_FIELD_KEYS).")


@keys_cli.command("rotate")
@click.option("--batch-size", default=100, show_default=True, help="Rows per committed batch.")
@with_appcontext
def rotate_command(batch_size: int) -> None:
    """Re-encrypt every encrypted field under the first key of
    TRACKER_FIELD_KEYS. Safe while the site runs, and to run again."""
    if key_count() < 2:
        click.echo("Only one key is configured: put the new key first (NEW,OLD), restart the app servers, "
                   "then run this again.")
    try:
        result = keys.rotate_all(db.session, db.metadata, batch_size=batch_size,
                                 progress=lambda table, done: click.echo(f"  {table}: {done} rows"))
    except DecryptionError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc}: is a key missing from TRACKER_FIELD_KEYS?") from None
    for name, count in sorted(result.rotated.items()):
        click.echo(f"{name}: {count} re-encrypted, {result.current[name]} already current")
    click.echo(f"Re-encrypted {result.total_rotated} values; {result.changed_meanwhile} changed by the site "
               "meanwhile (already under the new key).")


@keys_cli.command("status")
@with_appcontext
def status_command() -> None:
    """How many encrypted values are still under an older key."""
    left = keys.status(db.session, db.metadata)
    for name, count in sorted(left.items()):
        click.echo(f"{name}: {count}")
    click.echo("Nothing left under older keys." if not any(left.values())
               else f"{sum(left.values())} values still under older keys: run `keys rotate`.")
