"""flask --app tracker users create/list/disable."""
import pyotp
import sqlalchemy as sa

from tracker.accounts import services
from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.extensions import db


def test_create_with_prompt_hidden_and_confirmed(runner):
    pw = "prompted password 1"
    result = runner.invoke(args=["users", "create", "--role", "officer", "--email", "Off@Example.org",
                                 "--organisation", "NOC"], input=f"{pw}\n{pw}\n")
    assert result.exit_code == 0, result.output
    assert pw not in result.output  # hidden input is not echoed
    assert "otpauth://" not in result.output
    user = services.find_user("off@example.org")
    assert user.role == "officer" and user.body.code == "NOC"
    assert services.authenticate("off@example.org", pw).ok


def test_prompt_refuses_mismatched_confirmation(runner):
    result = runner.invoke(args=["users", "create", "--role", "officer", "--email", "o@example.org",
                                 "--organisation", "NOC"], input="first password 1\nsecond password\nfirst password 1\nfirst password 1\n")
    assert result.exit_code == 0
    assert services.authenticate("o@example.org", "first password 1").ok


def test_create_supervisor_from_stdin_prints_otpauth_uri(runner):
    result = runner.invoke(args=["users", "create", "--role", "supervisor", "--email", "sup@example.org",
                                 "--organisation", "NOC", "--password-stdin"], input="from stdin password\n")
    assert result.exit_code == 0, result.output
    uri = next(line for line in result.output.splitlines() if line.startswith("otpauth://"))
    parsed = pyotp.parse_uri(uri)
    user = services.find_user("sup@example.org")
    assert user.totp_enabled
    assert services.authenticate("sup@example.org", "from stdin password", parsed.now()).ok


def test_create_admin_needs_no_organisation_and_gets_totp(runner):
    result = runner.invoke(args=["users", "create", "--role", "admin", "--email", "adm@example.org", "--password-stdin"],
                           input="admin password here\n")
    assert result.exit_code == 0 and "otpauth://totp/" in result.output


def test_create_commander_with_force_and_units(runner):
    from tracker.reference.models import Force

    force = db.session.scalar(sa.select(Force).filter_by(code="ARMY"))
    unit = force.units[0]
    result = runner.invoke(args=["users", "create", "--role", "commander", "--email", "cmd@example.org",
                                 "--organisation", "ARMY", "--unit", unit.code, "--password-stdin"],
                           input="commander password\n")
    assert result.exit_code == 0, result.output
    user = services.find_user("cmd@example.org")
    assert user.force.code == "ARMY" and [u.code for u in user.units] == [unit.code]


def test_wrong_organisation_for_the_role_is_a_clear_error(runner):
    result = runner.invoke(args=["users", "create", "--role", "officer", "--email", "x@example.org",
                                 "--organisation", "ARMY", "--password-stdin"], input="long enough password\n")
    assert result.exit_code != 0
    assert "oversight body" in result.output
    assert services.find_user("x@example.org") is None


def test_short_password_is_refused(runner):
    result = runner.invoke(args=["users", "create", "--role", "officer", "--email", "x@example.org",
                                 "--organisation", "NOC", "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "12 characters" in result.output


def test_duplicate_email_is_refused(runner, make_user):
    make_user("officer", email="dup@example.org")
    result = runner.invoke(args=["users", "create", "--role", "officer", "--email", "DUP@example.org",
                                 "--organisation", "NOC", "--password-stdin"], input="long enough password\n")
    assert result.exit_code != 0 and "already exists" in result.output


def test_list_and_disable(runner, make_user):
    user = make_user("officer", email="listed@example.org")
    out = runner.invoke(args=["users", "list"]).output
    assert "listed@example.org" in out and "officer" in out and "active" in out
    result = runner.invoke(args=["users", "disable", "--email", "listed@example.org"])
    assert result.exit_code == 0
    db.session.refresh(user)
    assert not user.is_active_account
    assert db.session.scalar(sa.select(AuditEvent).filter_by(action="user.disabled", object_id=user.id)) is not None
    assert runner.invoke(args=["users", "disable", "--email", "none@example.org"]).exit_code != 0


def test_created_users_are_audited(runner):
    runner.invoke(args=["users", "create", "--role", "officer", "--email", "aud@example.org",
                        "--organisation", "NOC", "--password-stdin"], input="long enough password\n")
    user = db.session.scalar(sa.select(User).filter_by(email="aud@example.org"))
    ev = db.session.scalar(sa.select(AuditEvent).filter_by(action="user.created", object_id=user.id))
    assert ev.data["role"] == "officer" and ev.data["body"] == "NOC"
