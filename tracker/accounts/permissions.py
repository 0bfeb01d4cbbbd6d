"""Who may do what in the account and admin areas, and the route guards.

Least privilege (DESIGN §1): an admin manages configuration and users but
sees no case content; a commander sees aggregates of their own force only;
a supervisor manages the officers of their own body and nobody else.
Case permissions live in tracker/cases/permissions.py.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from tracker.accounts.models import ApiToken

STAFF_ROLES = ("partner", "officer", "supervisor", "commander", "admin")
ROLES_REQUIRING_TOTP = frozenset({"supervisor", "admin"})  # DESIGN §8: TOTP required

# Where each role lands after sign-in (DESIGN §10 paths).
HOME_PATH = {
    "officer": "/cases",
    "supervisor": "/cases",
    "commander": "/trends",
    "admin": "/admin/",
    "partner": "/report",
}


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def has_role(user, *roles: str) -> bool:
    return _authenticated(user) and user.role in roles


def can_manage_users(user) -> bool:
    """Admins manage every account; supervisors manage their own body's
    officers (see can_edit_user)."""
    return has_role(user, "admin", "supervisor")


def can_manage_all_users(user) -> bool:
    """Only admins see and change accounts of every organisation and role."""
    return has_role(user, "admin")


def can_edit_user(user, target) -> bool:
    """Admins may edit anyone but themselves' role (see services); a
    supervisor may edit only officers of their own body."""
    if has_role(user, "admin"):
        return True
    if has_role(user, "supervisor"):
        return target is not None and target.role == "officer" and target.body_id == user.body_id and target.body_id is not None
    return False


def assignable_roles(user) -> tuple[str, ...]:
    """Roles ``user`` may give to an account they create or edit."""
    if has_role(user, "admin"):
        return STAFF_ROLES
    if has_role(user, "supervisor"):
        return ("officer",)
    return ()


def can_manage_reference_data(user) -> bool:
    """Organisations, forces/units, regions, operations, bodies, routing:
    admins only."""
    return has_role(user, "admin")


def can_manage_settings(user) -> bool:
    return has_role(user, "admin")


def can_view_admin(user) -> bool:
    """The /admin dashboard and reference pages."""
    return has_role(user, "admin")


def can_manage_own_tokens(user) -> bool:
    """Staff API tokens: for the roles that use the staff API."""
    return has_role(user, "officer", "supervisor")


# --------------------------------------------------------------------------- guards


def roles_required(*roles: str):
    """Route guard: anonymous → the sign-in page; signed in with another
    role → 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not _authenticated(current_user):
                return current_app.login_manager.unauthorized()
            if current_user.role in ROLES_REQUIRING_TOTP and not current_user.totp_enabled:
                # Defence in depth: sign-in already refuses this, but a session
                # must never outlive the second factor of a role that needs one.
                return redirect(url_for("accounts.enrol_totp"))
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def login_required_any(view):
    """Any signed-in staff member."""
    return roles_required()(view)


def load_user_from_request():
    """The user of an ``Authorization: Bearer <token>`` header, or None."""
    from tracker.accounts.services import user_for_token

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_for_token(token.strip())


def _api_error(code: int, message: str):
    from tracker.core.errors import error_response

    resp, status = error_response(code, message)
    if code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    return resp, status


def _stamp_transaction(session):
    """The transaction holding a token's new last use (stamped by
    user_for_token, every few minutes at most), or None when not stamped."""
    if not any(isinstance(o, ApiToken) and session.is_modified(o) for o in session.dirty):
        return None
    session.flush()
    return session().get_transaction()


def _commit_token_use(session, stamp) -> None:
    """A token's last use rides on the request's one commit: a view that
    writes commits it with its own changes (or rolls it back with them);
    after a read-only view, which neither commits nor writes (STYLE §2), it
    is all that transaction holds, and is committed here."""
    if stamp is not None and stamp.is_active and session().get_transaction() is stamp:
        session.commit()


def token_or_login_required(*roles: str):
    """Guard for staff API endpoints: a bearer token, or a staff session.

    With a token the request is authenticated for this call only (no
    session, no cookie). With a session cookie, unsafe methods still need a
    valid CSRF token, even if the blueprint is exempt from CSRFProtect.
    401 (JSON) without credentials; 403 when the role is not allowed.
    """
    from flask_babel import gettext as _

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from tracker.extensions import csrf, db

            if request.headers.get("Authorization"):
                user = load_user_from_request()
                if user is None:
                    db.session.rollback()
                    return _api_error(401, _("The access token is missing, revoked or not valid."))
                stamp = _stamp_transaction(db.session)
                g._login_user = user  # Flask-Login's per-request user; nothing stored in the session
            else:
                stamp = None
                if not _authenticated(current_user):
                    return _api_error(401, _("Sign in, or send an access token."))
                if request.method not in ("GET", "HEAD", "OPTIONS"):
                    csrf.protect()
            if roles and current_user.role not in roles:
                return _api_error(403, _("You do not have access to this page."))
            response = view(*args, **kwargs)
            _commit_token_use(db.session, stamp)
            return response

        wrapped.allowed_roles = roles
        # The global CSRF check would refuse token-authenticated POSTs (a
        # program has no CSRF cookie); this guard does the check itself for
        # session-authenticated requests instead.
        from tracker.extensions import csrf

        csrf.exempt(wrapped)
        return wrapped

    return decorator


def can_change_role(user, target) -> bool:
    """Nobody changes their own role or organisation (an admin cannot lock
    the last admin out by accident); otherwise as can_edit_user."""
    return can_edit_user(user, target) and target.id != user.id


def can_disable_user(user, target) -> bool:
    """Nobody disables their own account."""
    return can_edit_user(user, target) and target.id != user.id


def can_reset_totp(user, target) -> bool:
    return can_edit_user(user, target) and target.id != user.id
