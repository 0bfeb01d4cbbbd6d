"""``flask --app tracker users …``: create, list and disable staff accounts."""
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from tracker.accounts.models import ROLES, User

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="The account's role.")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option(
    "--organisation",
    default=None,
    help="Code of the organisation: a civil-society organisation (partner), "
    "an oversight body (officer, supervisor) or a force (commander). None for admin.",
)
@click.option("--unit", "units", multiple=True, help="Unit code of the commander's force (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@click.option("--totp/--no-totp", default=None, help="Set up TOTP now (always on for supervisor and admin).")
def create_command(role, email, organisation, units, password_stdin, totp):
    """Create a staff account. Prints the otpauth:// URI when a second
    factor is set up (always for supervisors and admins)."""
    from tracker.accounts import services
    from tracker.extensions import db

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    enrol = services.requires_totp(role) or bool(totp)
    try:
        user = services.create_user(email, role, password, organisation=organisation, units=units, enrol_totp=enrol)
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"Created {role} {user.email} (id {user.id}).")
    if enrol:
        click.echo("Two-step sign-in is on. Add this to an authenticator app (scan it as a QR code or type the key):")
        click.echo(services.totp_uri(user))
        click.echo(f"Key: {services.totp_secret(user)}")


@users_cli.command("list")
def list_command():
    """List accounts (email, role, organisation, 2FA, status)."""
    from tracker.extensions import db

    for user in db.session.scalars(sa.select(User).order_by(User.role, User.email)):
        org = (
            (user.organisation and user.organisation.code)
            or (user.body and user.body.code)
            or (user.force and user.force.code)
            or "-"
        )
        status = "active" if user.is_active_account else "disabled"
        totp = "totp" if user.totp_enabled else "no-totp"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{org}\t{totp}\t{status}")


@users_cli.command("disable")
@click.option("--email", required=True)
def disable_command(email):
    """Disable an account: its sessions end and its API tokens are revoked."""
    from tracker.accounts import services
    from tracker.extensions import db

    user = services.find_user(email)
    if user is None:
        raise click.ClickException(f"No account with the email {email}.")
    services.set_active(user, False, actor=None)
    db.session.commit()
    click.echo(f"Disabled {user.email}.")
