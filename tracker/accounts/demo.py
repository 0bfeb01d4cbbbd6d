"""Demo logins, one per role, for ``flask --app tracker demo``.

Passwords and TOTP secrets are random on every run (never a fixed,
guessable demo password): running the demo again resets the demo accounts
and prints fresh logins. The caller commits.
"""
from __future__ import annotations

import secrets

import pyotp
import sqlalchemy as sa

from tracker.accounts import services
from tracker.accounts.models import Organisation
from tracker.accounts.passwords import hash_password
from tracker.extensions import db

DEMO_ORGANISATION = ("CRN", "Community Rights Network")
DEMO_USERS = (
    # role, email, organisation code (kind depends on the role)
    ("officer", "officer@demo.example.org", "NOC"),
    ("supervisor", "supervisor@demo.example.org", "NOC"),
    ("commander", "commander@demo.example.org", "ARMY"),
    ("partner", "partner@demo.example.org", "CRN"),
    ("admin", "admin@demo.example.org", None),
)


def _demo_password() -> str:
    # Four groups of five lower-case letters/digits: 23 characters, easy to type.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def ensure_demo_organisation() -> Organisation:
    code, name = DEMO_ORGANISATION
    org = db.session.scalar(sa.select(Organisation).filter_by(code=code))
    if org is None:
        org = Organisation(code=code, name=name)
        db.session.add(org)
        db.session.flush()
    return org


def create_demo_users() -> list[dict]:
    """Create (or reset) one user per role and return their logins:
    ``[{"role", "email", "password", "totp_secret", "otpauth_uri"}]``;
    the TOTP fields are None for roles without a second factor.
    Needs the reference data (body NOC, force ARMY) loaded first."""
    ensure_demo_organisation()
    logins = []
    for role, email, org in DEMO_USERS:
        password = _demo_password()
        needs_totp = services.requires_totp(role)
        user = services.find_user(email)
        if user is None:
            user = services.create_user(email, role, password, organisation=org, enrol_totp=needs_totp)
        else:
            user.password_hash = hash_password(password)
            user.is_active_account = True
            user.failed_logins = 0
            user.locked_until = None
            user.session_version += 1
            if needs_totp:
                services.set_totp_secret(user, pyotp.random_base32(), enabled=True)
        secret = services.totp_secret(user) if needs_totp else None
        logins.append(
            {
                "role": role,
                "email": email,
                "password": password,
                "totp_secret": secret,
                "otpauth_uri": services.totp_uri(user, secret) if secret else None,
            }
        )
    db.session.flush()
    return logins
