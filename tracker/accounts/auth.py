"""Flask-Login wiring, the idle timeout and the staff session.

- Staff sessions are bound to a keyed hash of the browser's User-Agent
  (``bind``): a cookie replayed from another browser is signed out. This
  replaces Flask-Login's session protection, which hashes the IP address into
  the cookie (we never store an address, even hashed), is ineffective for
  permanent sessions, and writes into anonymous reporters' sessions.
- The session cookie is signed but readable: it holds no readable user id
  (Flask-Login's id is encrypted, see User.get_id) and no address hash.
  Every session of a user ends when their session generation is bumped
  (sign-out, credential changes: services.end_sessions).
- Staff sessions are permanent cookies of PERMANENT_SESSION_LIFETIME (30 min),
  refreshed on each request; a session idle for longer is ended on the
  server side too (the ``seen`` timestamp), whatever the cookie says.
"""
import hashlib
import hmac

from flask import Flask, current_app, flash, g, request, session
from flask_babel import gettext as _

from tracker.core.crypto import DecryptionError, decrypt_text
from tracker.core.session_values import get_encrypted, put_encrypted
from tracker.extensions import db, login_manager

# Session keys that survive a sign-in or sign-out (language choice only).
KEPT_SESSION_KEYS = ("lang",)
PENDING_MAX_SECONDS = 300  # between the password step and the code step
PENDING_KEY = "pending_login"


def _session_identifier() -> str:
    ua = (request.headers.get("User-Agent") or "").encode("utf-8", "replace")
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"session-binding|" + ua, hashlib.sha256).hexdigest()


def reset_session() -> None:
    """Clear the session (new CSRF token, no trace of a previous user) but
    keep the language choice."""
    kept = {k: session[k] for k in KEPT_SESSION_KEYS if k in session}
    session.clear()
    session.update(kept)
    g.pop("_login_user", None)


def write_pending(state: dict) -> None:
    """Keep the state of a sign-in in progress (between the password and the
    code step) in the session, encrypted: the cookie is readable, and this
    state names the account."""
    put_encrypted(PENDING_KEY, state)


def read_pending() -> dict | None:
    """The state written by write_pending, or None (absent, or not ours)."""
    return get_encrypted(PENDING_KEY)


def bind_session() -> None:
    """Call right after login_user(): ties the session to this browser."""
    session["bind"] = _session_identifier()


def now_ts() -> float:
    from tracker.accounts.services import now_ts as _now

    return _now()


def configure_login(app: Flask) -> None:
    from tracker.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.session_protection = None  # see the module docstring: bind_session()

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    # Flask-Login would put an unsalted hash of the address and User-Agent
    # in the cookie (``_id``); ours is the keyed User-Agent binding instead.
    login_manager._session_identifier_generator = _session_identifier

    @login_manager.user_loader
    def load_user(user_id: str):
        # The id is opaque (User.get_id): the user id and the session
        # generation, encrypted. An old generation means the session ended.
        try:
            uid, version = (int(x) for x in (decrypt_text(str(user_id).encode("ascii")) or "").split(":", 1))
        except (DecryptionError, ValueError, UnicodeError):
            return None
        user = db.session.get(User, uid)
        if user is None or user.session_version != version or not user.is_active_account:
            return None
        return user

    @app.url_value_preprocessor
    def fresh_request_caches(endpoint, values):
        # Runs before every before_request function. Per-request caches must
        # not outlive the request: in production each request has its own app
        # context (and ``g``), but under the test client an outer app context
        # may be reused, and a cached user or CSRF state from an earlier
        # request would leak into the next one.
        for key in ("_login_user", "csrf_token", "csrf_valid", "_flask_babel"):
            g.pop(key, None)

    @app.before_request
    def enforce_idle_timeout():
        if request.endpoint == "static":
            return None
        now = int(now_ts())
        if PENDING_KEY in session:
            pending = read_pending()
            # A code sent by e-mail may take a while to arrive.
            limit = PENDING_MAX_SECONDS * (3 if pending and pending.get("step") == "mail" else 1)
            if pending is None or now - int(pending.get("at", 0)) > limit:
                session.pop(PENDING_KEY, None)
        if "_user_id" not in session:
            return None
        if session.get("bind") != _session_identifier():
            reset_session()
            return None
        seen = session.get("seen")
        lifetime = current_app.permanent_session_lifetime.total_seconds()
        if not isinstance(seen, int) or now - seen > lifetime:
            reset_session()
            flash(_("You were signed out after a period of inactivity. Please sign in again."), "info")
            return None
        session["seen"] = now
        session.permanent = True
        return None
