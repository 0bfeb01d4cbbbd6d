"""Account services: users, sign-in, lockout, TOTP, passwords, API tokens.

Rules enforced here (DESIGN §1, §8), never in views:

- each role belongs to the right kind of organisation (partner → civil-society
  organisation, officer/supervisor → oversight body, commander → force and
  optionally some of its units, admin → none);
- passwords are argon2id, at least 12 characters, upgraded when the
  configured parameters change;
- no lockout: after LOGIN_GUARD_AFTER failed attempts the account is guarded
  (a password is answered only together with a second factor) and guessing
  is slowed per address and per account (tracker.accounts.throttle says why);
  the owner and the admins are told by mail;
- TOTP is required for supervisors and admins, optional for others; a code
  can be used only once (replay protection through ``totp_last_counter``);
- sign-out, a password change, a role change, a second-factor reset and
  (de)activation end every session of the user and revoke their API tokens
  (``end_sessions``);
- every sign-in, failed sign-in and permission change is an audit event
  holding ids and codes only: no password, no address, and for an unknown
  email only a keyed hash of it.

Services take plain arguments and never touch ``request`` or ``flash``;
callers commit.
"""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.accounts import throttle
from tracker.accounts.models import ROLES, ApiToken, Organisation, User
from tracker.accounts.passwords import (
    PasswordPolicyError,
    burn_time,
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from tracker.accounts.permissions import ROLES_REQUIRING_TOTP
from tracker.audit.service import record
from tracker.core.crypto import decrypt_text, encrypt_text, keyed_hash
from tracker.core.db import utcnow
from tracker.core.mail import MailError, send_mail
from tracker.extensions import db
from tracker.reference.models import Force, OversightBody, Unit

TOTP_ISSUER = "Tracker"
TOKEN_PREFIX = "trk_"


class AccountError(ValueError):
    """A rule was broken. ``field`` names the form field it belongs to;
    ``message`` is a lazily translated string."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def now_ts() -> float:
    """Current time in seconds (a seam so tests can move the clock)."""
    return time.time()


def requires_totp(role: str) -> bool:
    return role in ROLES_REQUIRING_TOTP


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _looks_like_email(email: str) -> bool:
    if len(email) > 254 or email.count("@") != 1 or any(c.isspace() for c in email):
        return False
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and not domain.startswith(".") and not domain.endswith(".")


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


# --------------------------------------------------------------------------- users


def _resolve(model, value, label_field: str = "code"):
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    if isinstance(value, int):
        return db.session.get(model, value)
    return db.session.scalar(sa.select(model).where(getattr(model, label_field) == str(value).strip()))


@dataclass
class Affiliation:
    organisation: Organisation | None = None
    body: OversightBody | None = None
    force: Force | None = None
    units: list[Unit] | None = None


def resolve_affiliation(
    role: str,
    *,
    organisation=None,
    body=None,
    force=None,
    units: Iterable | None = None,
) -> Affiliation:
    """Check that the organisation fits the role (DESIGN §1) and return the
    resolved objects. ``organisation`` may also carry a body or force code:
    the CLI has a single ``--organisation`` option."""
    if role not in ROLES:
        raise AccountError(_l("Choose a role."), "role")
    if role == "admin":
        if any(v not in (None, "") for v in (organisation, body, force)) or units:
            raise AccountError(_l("Administrators do not belong to an organisation."), "organisation")
        return Affiliation()
    if role == "partner":
        org = _resolve(Organisation, organisation)
        if org is None:
            raise AccountError(_l("Choose the civil-society organisation of this partner."), "organisation")
        return Affiliation(organisation=org)
    if role in ("officer", "supervisor"):
        found = _resolve(OversightBody, body if body not in (None, "") else organisation)
        if found is None:
            raise AccountError(_l("Choose the oversight body of this officer."), "body")
        return Affiliation(body=found)
    # commander
    found_force = _resolve(Force, force if force not in (None, "") else organisation)
    if found_force is None:
        raise AccountError(_l("Choose the force of this commander."), "force")
    unit_objs: list[Unit] = []
    for u in units or ():
        unit = u if isinstance(u, Unit) else (
            db.session.get(Unit, u) if isinstance(u, int)
            else db.session.scalar(sa.select(Unit).filter_by(force_id=found_force.id, code=str(u).strip()))
        )
        if unit is None or unit.force_id != found_force.id:
            raise AccountError(_l("Units must belong to the commander's force."), "units")
        unit_objs.append(unit)
    return Affiliation(force=found_force, units=unit_objs)


def _apply_affiliation(user: User, aff: Affiliation) -> None:
    user.organisation = aff.organisation
    user.body = aff.body
    user.force = aff.force
    user.units = list(aff.units or [])


def _affiliation_codes(user: User) -> dict:
    return {
        "role": user.role,
        "organisation": user.organisation.code if user.organisation else None,
        "body": user.body.code if user.body else None,
        "force": user.force.code if user.force else None,
        "units": sorted(u.code for u in user.units),
    }


def create_user(
    email: str,
    role: str,
    password: str,
    *,
    organisation=None,
    body=None,
    force=None,
    units: Iterable | None = None,
    language: str = "en",
    enrol_totp: bool = False,
    actor: User | None = None,
) -> User:
    """Create a staff account after checking the email, the password policy
    and that the organisation fits the role. With ``enrol_totp`` a TOTP
    secret is generated and enabled at once (CLI and demo: the secret is
    handed over out of band). Audited as ``user.created``."""
    email = normalise_email(email)
    if not _looks_like_email(email):
        raise AccountError(_l("Enter a valid email address."), "email")
    if find_user(email) is not None:
        raise AccountError(_l("An account with this email already exists."), "email")
    try:
        check_policy(password)
    except PasswordPolicyError as exc:
        raise AccountError(exc.args[0], "password") from exc
    aff = resolve_affiliation(role, organisation=organisation, body=body, force=force, units=units)
    user = User(email=email, role=role, password_hash=hash_password(password), language=language or "en")
    _apply_affiliation(user, aff)
    db.session.add(user)
    db.session.flush()
    if enrol_totp:
        set_totp_secret(user, pyotp.random_base32(), enabled=True)
    record(
        "user.created",
        actor=actor,
        body_id=user.body_id,
        object_type="user",
        object_id=user.id,
        data=_affiliation_codes(user),
    )
    return user


def update_user(
    user: User,
    *,
    actor: User | None,
    role: str | None = None,
    organisation=None,
    body=None,
    force=None,
    units: Iterable | None = None,
) -> bool:
    """Change a user's role and/or organisation. Audited as
    ``user.permissions_changed`` with the old and new codes; a change logs
    the user out of every session. Returns True if anything changed."""
    new_role = role or user.role
    aff = resolve_affiliation(new_role, organisation=organisation, body=body, force=force, units=units)
    before = _affiliation_codes(user)
    user.role = new_role
    _apply_affiliation(user, aff)
    db.session.flush()
    after = _affiliation_codes(user)
    if before == after:
        return False
    # They will be asked to enrol at their next sign-in if the new role
    # needs a second factor.
    end_sessions(user, actor=actor, reason="permissions_changed")
    record(
        "user.permissions_changed",
        actor=actor,
        body_id=user.body_id or (before["body"] and _body_id(before["body"])),
        object_type="user",
        object_id=user.id,
        data={"before": before, "after": after},
    )
    return True


def _body_id(code: str) -> int | None:
    return db.session.scalar(sa.select(OversightBody.id).filter_by(code=code))


def end_sessions(user: User, *, actor: User | None, reason: str) -> None:
    """End every session of ``user`` on the server side and revoke their API
    tokens (DESIGN §8c: sign-out and credential changes end sessions).

    The session generation (``session_version``) is part of the opaque id
    kept in each session cookie (User.get_id); the login loader refuses an id
    of an older generation, so copies of the cookie stop working too. Each
    revoked token is audited with ``reason``."""
    user.session_version = (user.session_version or 0) + 1
    now = utcnow()
    for token in user_tokens(user, include_revoked=False):
        token.revoked_at = now
        record("token.revoked", actor=actor, body_id=user.body_id, object_type="api_token",
               object_id=token.id, data={"reason": reason})


def set_active(user: User, active: bool, *, actor: User | None) -> None:
    """Disable (or re-enable) an account. Either way its sessions end and its
    API tokens are revoked. Audited."""
    if user.is_active_account == active:
        return
    user.is_active_account = active
    end_sessions(user, actor=actor, reason="enabled" if active else "disabled")
    record(
        "user.enabled" if active else "user.disabled",
        actor=actor,
        body_id=user.body_id,
        object_type="user",
        object_id=user.id,
    )


def reset_totp(user: User, *, actor: User | None) -> None:
    """Remove the second factor: the user must enrol again at next sign-in
    (if the role requires it). Ends the user's sessions. Audited."""
    user.totp_secret_enc = None
    user.totp_enabled = False
    user.totp_last_counter = None
    end_sessions(user, actor=actor, reason="totp_reset")
    record("user.totp_reset", actor=actor, body_id=user.body_id, object_type="user", object_id=user.id)


def set_password(user: User, new_password: str, *, actor: User | None) -> None:
    """Set a new password (policy checked); every session of the user ends and
    their API tokens are revoked (the account page then opens a fresh
    session for the user who changed it)."""
    try:
        check_policy(new_password)
    except PasswordPolicyError as exc:
        raise AccountError(exc.args[0], "new_password") from exc
    user.password_hash = hash_password(new_password)
    end_sessions(user, actor=actor, reason="password_changed")
    record("user.password_changed", actor=actor, body_id=user.body_id, object_type="user", object_id=user.id)


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The user changes their own password: the current one is required."""
    if not verify_password(user.password_hash, current_password or ""):
        raise AccountError(_l("The current password is not right."), "current_password")
    if current_password == new_password:
        raise AccountError(_l("Choose a password different from the current one."), "new_password")
    set_password(user, new_password, actor=user)


def list_users(*, body: OversightBody | None = None) -> list[User]:
    q = sa.select(User).order_by(User.role, User.email, User.id)
    if body is not None:
        q = q.where(User.body_id == body.id)
    return list(db.session.scalars(q))


# --------------------------------------------------------------------------- sign-in


@dataclass
class AuthResult:
    """``status`` is one of: ok, totp_required, mail_required, enrol_required,
    invalid, paused. For a guarded account (see tracker.accounts.throttle)
    a wrong password also gives totp_required / mail_required, with
    ``password_ok`` False, so that the answer does not tell it apart."""

    status: str
    user: User | None = None
    password_ok: bool = True

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        return self.status in ("invalid", "paused")


def _guard_after() -> int:
    return int(current_app.config.get("LOGIN_GUARD_AFTER", 5))


def is_guarded(user: User) -> bool:
    """After LOGIN_GUARD_AFTER failed attempts since the last successful
    sign-in, the account answers a password only together with a second
    factor (tracker.accounts.throttle explains why this replaces a lockout)."""
    return (user.failed_logins or 0) >= _guard_after()


def _failed(user: User | None, reason: str, email: str | None = None) -> None:
    """Audit a failed attempt. The email of an unknown account is stored only
    as a keyed hash (so repeated guesses can be correlated, never read)."""
    data: dict = {"reason": reason}
    if user is None and email is not None:
        data["email_hash"] = keyed_hash(normalise_email(email), "login-email")
    record(
        "auth.login_failed",
        actor=None,
        actor_role="anonymous",
        body_id=user.body_id if user else None,
        object_type="user" if user else None,
        object_id=user.id if user else None,
        data=data,
    )


def record_throttled(email: str) -> None:
    """Audit an attempt refused because its address must wait (the password
    was not looked at)."""
    user = find_user(email)
    _failed(user, "address_throttled", None if user else email)


def _register_failure(user: User, reason: str) -> None:
    """A wrong password (or a code step after one): counted on the account,
    audited, and the owner and admins told at the notice thresholds."""
    user.failed_logins = (user.failed_logins or 0) + 1
    _failed(user, reason)
    notify_failures(user)


def _register_code_failure(user: User, reason: str) -> None:
    """A wrong second factor after a right password: audited, and counted
    with growing delays for this account's code step (only someone who
    knows the password can cause these)."""
    _failed(user, reason)
    throttle.record_failure(throttle.code_key(user.id))


def _code_paused(user: User) -> bool:
    if throttle.wait_seconds(throttle.code_key(user.id)):
        _failed(user, "code_paused")
        return True
    return False


def _complete(user: User) -> AuthResult:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    throttle.forget(throttle.code_key(user.id))
    record("auth.login", actor=user, body_id=user.body_id, object_type="user", object_id=user.id)
    return AuthResult("ok", user)


def _challenge(user: User, password_ok: bool) -> AuthResult:
    return AuthResult("totp_required" if user.totp_enabled else "mail_required", user, password_ok)


def authenticate(email: str, password: str, totp_code: str | None = None) -> AuthResult:
    """Check a sign-in attempt: password, then (when enabled) a TOTP code.

    Returns ``totp_required`` when the password is right and a code is needed
    but none was given, ``mail_required`` when a guarded account without an
    authenticator app must confirm a code sent by e-mail, ``enrol_required``
    when the role needs a second factor that is not set up yet (the caller
    must not open a session before enrolment), ``invalid`` or ``paused`` on
    failure, ``ok`` on success. A guarded account answers a wrong password
    like a right one (``password_ok`` False): the code step decides. Every
    failure is audited and counted; nothing refuses the right password and
    code of an account.
    """
    user = find_user(email)
    if user is None:
        burn_time(password or "")
        _failed(None, "unknown_account", email)
        return AuthResult("invalid")
    if not user.is_active_account:
        burn_time(password or "")
        _failed(user, "disabled")
        return AuthResult("invalid")
    if not verify_password(user.password_hash, password or ""):
        if not is_guarded(user):
            _register_failure(user, "password")
            return AuthResult("invalid")
        # Counted when the code step answers, like any guess on a guarded
        # account: the answer must not depend on the password.
        result = _challenge(user, password_ok=False)
    else:
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        if not (user.totp_enabled or is_guarded(user)):
            if requires_totp(user.role):
                return AuthResult("enrol_required", user)
            return _complete(user)
        result = _challenge(user, password_ok=True)
    if totp_code is not None and result.status == "totp_required":
        return verify_second_factor(user, totp_code, password_ok=result.password_ok)
    return result


def verify_second_factor(user: User, code: str, *, password_ok: bool = True) -> AuthResult:
    """Second step of sign-in: the TOTP code, after the password step."""
    if not user.is_active_account:
        _failed(user, "disabled")
        return AuthResult("invalid")
    if not password_ok:
        _register_failure(user, "password")
        return AuthResult("invalid")
    if _code_paused(user):
        return AuthResult("paused")
    if not verify_totp(user, code):
        _register_code_failure(user, "totp")
        return AuthResult("invalid")
    return _complete(user)


MAIL_CODE_PURPOSE = "login-mail-code"


def _mail_code_hash(user: User, code: str) -> str:
    return keyed_hash(f"{user.id}:{user.session_version}:{code}", MAIL_CODE_PURPOSE)


def start_mail_challenge(user: User, *, password_ok: bool) -> str:
    """The code step of a guarded account without an authenticator app.

    When the password was right, a random 6-digit code is mailed to the
    account's address and its keyed hash returned (the caller keeps it in
    the encrypted sign-in state). When it was wrong, nothing is sent and a
    hash no code can match is returned: the pages look the same."""
    if not password_ok:
        return keyed_hash(secrets.token_hex(16), MAIL_CODE_PURPOSE)
    code = f"{secrets.randbelow(10**6):06d}"
    with force_locale(user.language or "en"):
        subject = _("Your Tracker sign-in code")
        body = _(
            "Your sign-in code for Tracker is %(code)s. It works once, for the next few minutes.\n\n"
            "Someone, perhaps you, typed the right password of your account after several failed "
            "attempts, so Tracker asks for this code too. If it was not you, change your password "
            "and tell an administrator.", code=code)
    send_mail_later([user.email], subject, body)
    return _mail_code_hash(user, code)


def verify_mail_code(user: User, code: str, expected_hash: str | None, *, password_ok: bool) -> AuthResult:
    """Second step for a guarded account without TOTP: the mailed code.
    A role that requires TOTP but has not enrolled goes on to enrolment."""
    if not user.is_active_account:
        _failed(user, "disabled")
        return AuthResult("invalid")
    if not password_ok:
        _register_failure(user, "password")
        return AuthResult("invalid")
    if _code_paused(user):
        return AuthResult("paused")
    digits = "".join((code or "").split())
    if not expected_hash or not hmac.compare_digest(_mail_code_hash(user, digits), expected_hash):
        _register_code_failure(user, "mail_code")
        return AuthResult("invalid")
    if user.totp_enabled:  # enrolled meanwhile: the app's code is the factor
        return AuthResult("totp_required", user)
    if requires_totp(user.role):
        return AuthResult("enrol_required", user)
    return _complete(user)


def complete_enrolment_login(user: User, code: str) -> AuthResult:
    """Sign-in for a user who had to enrol first: the code confirms the new
    secret, enables TOTP, and completes the sign-in."""
    if not user.is_active_account:
        return AuthResult("invalid")
    if _code_paused(user):
        return AuthResult("paused")
    if not confirm_totp(user, code):
        _register_code_failure(user, "totp_enrolment")
        return AuthResult("invalid")
    return _complete(user)


def record_logout(user: User) -> None:
    """Sign-out ends every session of the user, not only this browser's, and
    revokes their API tokens (DESIGN §8c). Audited."""
    record("auth.logout", actor=user, body_id=user.body_id, object_type="user", object_id=user.id)
    end_sessions(user, actor=user, reason="logout")


# --------------------------------------------------------------------------- notices


def _notice_due(failures: int) -> bool:
    """At LOGIN_NOTICE_AFTER failures, then at each tenfold of it."""
    first = int(current_app.config.get("LOGIN_NOTICE_AFTER", 10))
    if first <= 0 or failures < first:
        return False
    while failures > first and failures % 10 == 0:
        failures //= 10
    return failures == first


def notify_failures(user: User) -> None:
    """Tell the account owner and every active admin, each in their language,
    that the account had repeated failed sign-ins (no address, no password:
    only the account and the count)."""
    n = user.failed_logins or 0
    if not _notice_due(n):
        return
    admins = db.session.scalars(
        sa.select(User).where(User.role == "admin", User.is_active_account.is_(True), User.id != user.id)
    ).all()
    with force_locale(user.language or "en"):
        send_mail_later(
            [user.email],
            _("Failed sign-in attempts on your Tracker account"),
            _("There were %(n)s failed attempts to sign in to your Tracker account (%(email)s) since "
              "its last successful sign-in.\n\nUntil you sign in again, Tracker asks for a second code "
              "after the password, so a guessed password alone opens nothing. If these attempts were "
              "not yours and you think your password may be known, change it.", n=n, email=user.email),
        )
    for admin in admins:
        with force_locale(admin.language or "en"):
            send_mail_later(
                [admin.email],
                _("Failed sign-in attempts on a Tracker account"),
                _("There were %(n)s failed attempts to sign in to the account %(email)s since its last "
                  "successful sign-in. The account now needs a second code after the password. The "
                  "audit trail lists each attempt.", n=n, email=user.email),
            )


def send_mail_later(to: list[str], subject: str, body: str) -> None:
    """Hand a message to SMTP on a background thread, so that the time a
    sign-in answer takes does not tell whether a mail was sent (and a slow
    mail server does not hold the request). Failures are logged."""
    app = current_app._get_current_object()

    def _send() -> None:
        with app.app_context():
            try:
                send_mail(to, subject, body)
            except MailError:
                app.logger.warning("A sign-in mail could not be sent.")

    threading.Thread(target=_send, name="signin-mail", daemon=True).start()


# --------------------------------------------------------------------------- TOTP


def set_totp_secret(user: User, secret: str, *, enabled: bool) -> None:
    user.totp_secret_enc = encrypt_text(secret)
    user.totp_enabled = enabled
    user.totp_last_counter = None


def totp_secret(user: User) -> str | None:
    return decrypt_text(user.totp_secret_enc)


def totp_uri(user: User, secret: str | None = None) -> str:
    secret = secret or totp_secret(user)
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def begin_totp_enrolment(user: User) -> str:
    """Give the user a secret to scan (kept encrypted, not yet enabled).
    Reloading the page shows the same secret until it is confirmed."""
    if user.totp_enabled:
        raise AccountError(_l("Two-step sign-in is already set up."))
    secret = totp_secret(user) if user.totp_secret_enc else None
    if not secret:
        secret = pyotp.random_base32()
        set_totp_secret(user, secret, enabled=False)
    return secret


def _matching_counter(secret: str, code: str, last_counter: int | None) -> int | None:
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now_ts() // totp.interval)
    for counter in (current - 1, current, current + 1):  # one step of clock drift
        if hmac.compare_digest(totp.generate_otp(counter), code):
            if last_counter is not None and counter <= last_counter:
                return None  # replay: this code (or an older one) was already used
            return counter
    return None


def verify_totp(user: User, code: str) -> bool:
    """Check a code for an enabled second factor; each code works once."""
    if not user.totp_enabled or not user.totp_secret_enc:
        return False
    counter = _matching_counter(totp_secret(user), code, user.totp_last_counter)
    if counter is None:
        return False
    user.totp_last_counter = counter
    return True


def confirm_totp(user: User, code: str) -> bool:
    """Confirm a pending enrolment with a code from the user's app. Audited."""
    if user.totp_enabled or not user.totp_secret_enc:
        return False
    counter = _matching_counter(totp_secret(user), code, None)
    if counter is None:
        return False
    user.totp_enabled = True
    user.totp_last_counter = counter
    record("user.totp_enrolled", actor=user, body_id=user.body_id, object_type="user", object_id=user.id)
    return True


# --------------------------------------------------------------------------- API tokens


def _token_hash(token: str) -> str:
    return keyed_hash(token, "api-token")


def issue_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a bearer token. The plain token is returned once and never
    stored: only its keyed hash is. Audited."""
    name = (name or "").strip()
    if not name:
        raise AccountError(_l("Give the token a name, so you recognise it later."), "name")
    if len(name) > 80:
        raise AccountError(_l("The name is too long."), "name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_token_hash(plain), prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    record("token.issued", actor=user, body_id=user.body_id, object_type="api_token", object_id=token.id)
    return token, plain


def user_tokens(user: User, include_revoked: bool = True) -> list[ApiToken]:
    q = sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if not include_revoked:
        q = q.where(ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(q))


def revoke_token(user: User, token_id: int, *, actor: User | None = None) -> bool:
    """Revoke one of ``user``'s tokens. Returns False if there is no such
    active token of that user (another user's token is never touched)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record("token.revoked", actor=actor or user, body_id=user.body_id, object_type="api_token", object_id=token.id)
    return True


def user_for_token(plain: str) -> User | None:
    """The active user owning an active token, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(plain)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if user is None or not user.is_active_account:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, so a busy client does not write on every call
    return user
